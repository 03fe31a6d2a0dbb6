"""Docstrings of the generated methods: the document's summary, each parameter, what is returned, typical errors.

An IDE then shows more than "Create User.": the parameters' descriptions come from the document, the rest
from what the method's shape says (its ids, body, filters, keywords and return kind).
"""

from __future__ import annotations

import textwrap
from typing import Any

RETURNS_TEXT = {
    "none": "None: the API answers 204 No Content.",
    "object": "The object, unwrapped from its ``data`` envelope, with ``_etag`` when the API sent an ETag.",
    "any": "What the API answered, unwrapped from its ``data`` envelope (an object gets ``_etag``).",
    "model": "The object, parsed into the model named in the annotation (its ETag as ``_etag``).",
    "page": "One [`Page`][authpi_admin.pagination.Page] of objects; ``await page.next_page()`` fetches the next.",
    "model_page": "One [`Page`][authpi_admin.pagination.Page] of models; ``await page.next_page()`` fetches the next.",
    "model_list": "The objects, each parsed into the model named in the annotation.",
}
KEYWORD_TEXT = {
    "timeout": "Seconds one attempt may take, connect to last byte (default: the client's).",
    "headers": "Extra request headers for this call.",
}


def _entry(text: str) -> list[str]:
    """One Args/Returns/Raises entry, wrapped to the line length the project's code keeps."""
    return textwrap.wrap(text, width=120, initial_indent=" " * 12, subsequent_indent=" " * 16)


def docstring(method: Any) -> list[str]:
    """The method's docstring: the document's summary, its parameters, what it returns, typical errors."""
    args = [
        f"{name}: The id of the {name.removesuffix('_id').replace('_', ' ')} (checked before sending)."
        for name in method.ids
    ]
    if method.body is not None:
        if method.body_type:
            args.append(
                f"body: The request body (see ``authpi_admin.types.{method.body_type}``); a dict, any mapping or "
                "a pydantic model."
            )
        else:
            args.append(f"body: {method.body_described or 'The request body, a JSON object.'} A dict or any mapping.")
    for name, _ in method.all_query:
        args.append(f"{name}: {method.described.get(name) or 'Filter the list by ' + name + '.'}")
    args += [f"{name}: {method.described.get(name) or KEYWORD_TEXT[name]}" for name in method.keywords]
    returned = RETURNS_TEXT.get(method.kind, "Every item of every page, fetched one page at a time.")
    raises = ["AuthenticationError: the credential is missing, wrong or expired."]
    if method.ids:
        raises.append("NotFoundError: no such object (404).")
    if method.body is not None:
        raises.append("ValidationError: the body breaks the API's rules (400/422, with ``fields``).")
    if "if_match" in method.keywords:
        raises.append("PreconditionFailedError: the object changed since ``if_match``'s ETag (412).")
    if method.name == "create":
        raises.append("ConflictError: it would duplicate an existing object (409).")
    lines = [f'        """{method.summary.rstrip(".")}.', "", "        Args:"]
    lines += [line for text in args for line in _entry(text)]
    lines += ["", "        Yields:" if method.kind == "iterate" else "        Returns:", *_entry(returned)]
    lines += ["", "        Raises:", *(line for text in raises for line in _entry(text)), '        """']
    return lines
