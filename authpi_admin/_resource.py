"""Shared runtime for the generated resource and scope classes: one call path for every method.

A generated method only describes its call: an `Endpoint` (verb, path template and the shape of
its answer), the ids for the template, the query or body, and the caller's `RequestOptions`. It hands
them to `_call()` (one answer) or `_iterate()` (every item of every page), which build the path, send it through
[`HttpClient`][authpi_admin.http_client.HttpClient] and shape the answer.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ._reading import ApiResponse, as_any, as_object, shown, without_envelope
from ._validation import validate_path_segment
from .errors import MalformedResponseError
from .http_client import HttpClient
from .pagination import Page, auto_paginate

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Endpoint",
    "RequestOptions",
    "Resource",
    "Scope",
    "as_any",
    "as_model",
    "as_model_list",
    "as_model_page",
    "as_none",
    "as_object",
    "as_page",
    "model_class",
]

R = TypeVar("R")
T = TypeVar("T")

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

Shape = Callable[[ApiResponse], R]
"""Turns a successful answer into what a method returns."""


class RequestOptions:
    """The per-call options every generated method takes, travelling as one object."""

    __slots__ = ("headers", "idempotency_key", "if_match", "timeout")

    def __init__(
        self,
        timeout: float | httpx.Timeout | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        if_match: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.headers = headers
        self.if_match = if_match
        self.idempotency_key = idempotency_key

    @classmethod
    def of(cls, timeout: float | httpx.Timeout | None, headers: Mapping[str, str] | None) -> RequestOptions:
        """The options of a call that takes only ``timeout`` and ``headers``: one shared object when the
        caller gave neither (most calls), so the thousands of calls waiting for room hold none of their own.
        Nothing changes a ``RequestOptions`` once made."""
        if timeout is None and headers is None:
            return _NO_OPTIONS
        return cls(timeout, headers)

    def request_headers(self) -> Mapping[str, str] | None:
        """The caller's headers with ``if-match`` and ``idempotency-key`` added when given.

        An empty value is left out, as 0.3.0 did: an empty header would only be refused by the API.
        """
        if not self.if_match and not self.idempotency_key:
            return self.headers
        merged = dict(self.headers) if self.headers else {}
        if self.if_match:
            merged["if-match"] = self.if_match
        if self.idempotency_key:
            merged["idempotency-key"] = self.idempotency_key
        return merged


_NO_OPTIONS = RequestOptions()


class Endpoint(Generic[R]):
    """One API operation, relative to the base path of the class that calls it, and the shape of its answer.

    ``path`` is a template such as ``"/{org_id}/{group_id}"``; its placeholders are filled, in order,
    with validated ids. Built once per operation when its module loads, so the parsing is not paid per call.
    ``operation`` names the SDK method (``"UsersResource.list"``) in retry events, logs and traces;
    ``template`` is ``path`` with the document's placeholder names, where they differ from the method's.
    """

    __slots__ = ("_literals", "body_required", "id_names", "method", "model", "operation", "path", "shape", "template")

    def __init__(
        self,
        method: str,
        path: str,
        shape: Shape[R],
        operation: str = "",
        *,
        body_required: bool = False,
        template: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.shape = shape
        self.operation = operation
        self.template = path if template is None else template
        self.body_required = body_required  # the method's body parameter has no default: None is a mistake
        self.model: str | None = shape.name if isinstance(shape, _ModelShape) else None  # the answer's model
        self.id_names: tuple[str, ...] = tuple(_PLACEHOLDER.findall(path))
        # the text around the placeholders: literals[0] + id0 + literals[1] + id1 + ...
        self._literals: tuple[str, ...] = tuple(_PLACEHOLDER.split(path)[::2])

    def __repr__(self) -> str:
        return f"Endpoint({self.method!r}, {self.path!r})"

    def render(self, ids: tuple[str, ...]) -> str:
        """The path suffix with each id validated and put in its place."""
        names = self.id_names
        if len(ids) != len(names):
            raise TypeError(f"{self.path!r} takes {len(names)} id(s), got {len(ids)}")
        literals = self._literals
        if len(names) == 1:  # the common case, without the loop
            return literals[0] + validate_path_segment(ids[0], names[0]) + literals[1]
        if not names:
            return self.path
        parts = [literals[0]]
        for index, value in enumerate(ids):
            parts.append(validate_path_segment(value, names[index]))
            parts.append(literals[index + 1])
        return "".join(parts)


# ------------------------------------------------------------------------------------------------ shapes

_MODEL_CLASSES: dict[str, Any] = {}


def model_class(name: str) -> Any:
    """A class of ``authpi_admin.generated.models``, imported on first use (pydantic loads only then)."""
    cls = _MODEL_CLASSES.get(name)
    if cls is None:
        from .generated import models

        cls = _MODEL_CLASSES[name] = getattr(models, name)
    return cls


def as_none(response: ApiResponse) -> None:
    """Nothing: the call is made for its effect (DELETE answers 204)."""


def _page_of(response: ApiResponse, parse: Callable[[list[Any]], list[Any]]) -> Page[Any]:
    """The page a list body holds, its items passed through ``parse``."""
    body = response.data
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise MalformedResponseError(
            status_code=response.status_code,
            error_description="The API answered a list call without a 'data' list",
            raw_body=shown(body),
        )
    cursor = body.get("next_cursor")
    invalid = body.get("invalid_count")
    return Page(
        data=parse(items),
        has_more=bool(body.get("has_more")),
        next_cursor=cursor if isinstance(cursor, str) else None,
        invalid_count=invalid if isinstance(invalid, int) and not isinstance(invalid, bool) else None,
    )


def _as_they_are(items: list[Any]) -> list[Any]:
    return items


def as_page(response: ApiResponse) -> Page[dict[str, Any]]:
    """One page of plain dicts."""
    return _page_of(response, _as_they_are)


def _parse_models(name: str, items: list[Any], response: ApiResponse) -> list[Any]:
    """Items parsed into the model ``name``; an item the model refuses is a malformed answer, not a crash."""
    parse = model_class(name).model_validate
    try:
        return [parse(item) for item in items]
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise _not_a_valid(name, response, _what_was_wrong(error)) from error
    except BaseException as error:
        if not _is_a_panic(error):
            raise
        raise _not_a_valid(name, response, None) from error


def _is_a_panic(error: BaseException) -> bool:
    """Whether ``error`` is pyo3's PanicException, a BaseException.

    Early pydantic-core releases can panic on odd text, in validation and in rendering its error (they cut
    the input's repr inside a multi-byte character). It is the answer's fault: it is typed like any other.
    """
    return type(error).__name__ == "PanicException"


def _what_was_wrong(error: ValueError) -> str | None:
    """Where and why the answer fails its model, one ``place: reason`` per fault, without the input itself.

    pydantic's own rendering quotes the input (the server's text), which is what early releases panic on.
    """
    describe = getattr(error, "errors", None)
    if describe is None:
        return str(error)
    try:
        faults = describe()
    except BaseException as panic:
        if not _is_a_panic(panic):
            raise
        return None
    return "; ".join(f"{'.'.join(map(str, fault['loc'])) or '(the object)'}: {fault['msg']}" for fault in faults)


def _not_a_valid(name: str, response: ApiResponse, detail: str | None) -> MalformedResponseError:
    return MalformedResponseError(
        status_code=response.status_code,
        error_description=f"The API answered with an object that is not a valid {name}",
        raw_body=detail,
    )


class _ModelShape:
    """Parses an answer into the model ``name``: one object, a page of them, or a list of them (``form``).

    Models need pydantic, whose import and schema building take a few hundred milliseconds: the call path
    does that in a worker thread before the first such call, so it does not stall the event loop.
    """

    __slots__ = ("form", "name")

    def __init__(self, name: str, form: str) -> None:
        self.name = name
        self.form = form

    def __call__(self, response: ApiResponse) -> Any:
        if self.form == "page":
            return _page_of(response, lambda items: _parse_models(self.name, items, response))
        data = without_envelope(response.data)
        if self.form == "list":
            if not isinstance(data, list):
                raise _not_a_valid(f"list of {self.name}", response, "(the object): not a JSON array")
            return _parse_models(self.name, data, response)
        (instance,) = _parse_models(self.name, [data], response)
        instance._etag = response.etag
        return instance


def as_model(name: str) -> Shape[Any]:
    """One object parsed into the model ``name``, its ETag kept as ``_etag``."""
    return _ModelShape(name, "one")


def as_model_page(name: str) -> Shape[Page[Any]]:
    """One page with every item parsed into the model ``name``."""
    return _ModelShape(name, "page")


def as_model_list(name: str) -> Shape[list[Any]]:
    """A JSON array (in the ``data`` envelope) with every item parsed into the model ``name``."""
    return _ModelShape(name, "list")


def _ready_model(name: str) -> None:
    """Import the model ``name`` (and pydantic, the first time) and build its validator."""
    model_class(name).model_rebuild(force=True)


async def _ready_model_off_the_loop(name: str) -> None:
    import asyncio  # the loop is running: already imported

    await asyncio.to_thread(_ready_model, name)


# ------------------------------------------------------------------------------------------- the call path


class _Node:
    """Holds the transport and the base path every call of a resource or scope starts from.

    ``template`` is the base path as the document writes it (``/v1/accounts/{account_id}/issuers``),
    which traces name calls by; accessors pass it on. Without it the base path is taken as it is.
    """

    def __init__(self, client: HttpClient, base_path: str, *, template: str | None = None) -> None:
        self._client = client
        self._base_path = base_path
        self._template = base_path if template is None else template

    @property
    def base_path(self) -> str:
        """The path, below the base URL, that this object's calls start from.

        For a client that finds its account through ``GET /v1/me``, the path names that account once it
        is found, and reads ``{account_id}`` in its place until then.
        """
        return self._client._readable(self._base_path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_path!r})"

    async def _call(
        self,
        endpoint: Endpoint[R],
        ids: tuple[str, ...],
        options: RequestOptions,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> R:
        """Send the call ``endpoint`` describes and return its answer in the endpoint's shape."""
        plain = type(body) is dict  # the usual body: nothing to convert or check (the checks cost, per call)
        if not plain and hasattr(body, "model_dump"):  # a pydantic model: sent as its JSON form, fields set only
            body = body.model_dump(mode="json", by_alias=True, exclude_unset=True)
        if not plain and (body is not None or endpoint.body_required) and not isinstance(body, Mapping):
            # every request body the API documents is a JSON object
            raise TypeError(f"body must be a dict (a JSON object), not {type(body).__name__}")
        if endpoint.model is not None and endpoint.model not in _MODEL_CLASSES:
            await _ready_model_off_the_loop(endpoint.model)
        response = await self._client._perform(
            endpoint.method,
            self._base_path + endpoint.render(ids),
            body,
            query,
            options.request_headers(),
            options.timeout,
            endpoint.operation,
            self._template,
            endpoint.template,
        )
        answer = endpoint.shape(response)
        if isinstance(answer, Page):  # a list call: the page can fetch the one after it
            self._chain(answer, cast("Endpoint[Page[Any]]", endpoint), ids, options, query)
        return answer

    def _chain(
        self,
        page: Page[Any],
        endpoint: Endpoint[Page[Any]],
        ids: tuple[str, ...],
        options: RequestOptions,
        query: Mapping[str, Any] | None,
    ) -> None:
        """Let ``page`` fetch the page after it. Not inline in `_call()`: a closure there would make
        every call, even one only waiting for room, carry cells for the variables it captures."""
        page._continue_with(
            lambda cursor: self._call(endpoint, ids, options, query={**(query or {}), "cursor": cursor})
        )

    def _iterate(
        self, endpoint: Endpoint[Page[T]], query: Mapping[str, Any], options: RequestOptions
    ) -> AsyncIterator[T]:
        """Every item of every page of a list endpoint, fetched one page at a time."""

        async def fetch(cursor: str | None) -> Page[T]:
            return await self._call(endpoint, (), options, query={**query, "cursor": cursor})

        return auto_paginate(fetch)


class Resource(_Node):
    """Base of every generated ``XResource(client, base_path)``."""


class Scope(_Node):
    """Base of every generated ``XScope(client, base_path, x_id)``: addresses ``base_path/x_id``."""

    def __init__(
        self, client: HttpClient, base_path: str, scope_id: str, id_name: str, *, template: str | None = None
    ) -> None:
        # ``template`` is base_path's, as for a resource: the scope's own adds its placeholder
        path = f"{base_path}/{validate_path_segment(scope_id, id_name)}"
        super().__init__(client, path, template=f"{base_path if template is None else template}/{{{id_name}}}")
