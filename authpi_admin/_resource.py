"""Shared runtime for the generated resource and scope classes.

A generated method only describes its call (an :class:`Endpoint`, its ids, query, body and headers) and
hands it to the helpers here, which build the path, send it through :class:`HttpClient` and shape the
answer: a dict with ``_etag``, a model, a :class:`Page`, or None.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ._validation import validate_path_segment
from .errors import MalformedResponseError
from .http_client import ApiResponse, HttpClient
from .pagination import Page, auto_paginate

if TYPE_CHECKING:
    from pydantic import BaseModel

    ModelT = TypeVar("ModelT", bound=BaseModel)

__all__ = ["Endpoint", "Resource", "Scope", "model_class"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Endpoint:
    """One API operation, relative to the base path of the class that calls it.

    ``path`` is a template such as ``"/{org_id}/{group_id}"``; its placeholders are filled, in order,
    with validated ids. Built once per operation when its module loads, so the parsing is not paid per call.
    """

    __slots__ = ("_literals", "id_names", "method", "path")

    def __init__(self, method: str, path: str = "") -> None:
        self.method = method
        self.path = path
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


_MODEL_CLASSES: dict[str, Any] = {}


def model_class(name: str) -> Any:
    """A class of ``authpi_admin.generated.models``, imported on first use (pydantic loads only then)."""
    cls = _MODEL_CLASSES.get(name)
    if cls is None:
        from .generated import models

        cls = _MODEL_CLASSES[name] = getattr(models, name)
    return cls


def _call_headers(
    headers: Mapping[str, str] | None, if_match: str | None, idempotency_key: str | None
) -> Mapping[str, str] | None:
    if if_match is None and idempotency_key is None:
        return headers
    merged = dict(headers) if headers else {}
    if if_match is not None:
        merged["if-match"] = if_match
    if idempotency_key is not None:
        merged["idempotency-key"] = idempotency_key
    return merged


def _without_envelope(data: Any) -> Any:
    """The object inside a ``{"data": ...}`` envelope (a body whose only key is ``data``), else ``data``."""
    if isinstance(data, dict) and len(data) == 1 and "data" in data:
        return data["data"]
    return data


def _tagged(data: Any, etag: str | None) -> Any:
    """``data`` with ``_etag`` added when it is an object and the answer had an ETag."""
    if isinstance(data, dict) and etag is not None:
        data["_etag"] = etag
    return data


def _unwrap(response: ApiResponse) -> Any:
    """A single object: its envelope removed and ``_etag`` added when known."""
    return _tagged(_without_envelope(response.data), response.etag)


def _unwrap_object(response: ApiResponse) -> dict[str, Any]:
    """Like :func:`_unwrap`, for calls documented to answer an object: an empty answer is ``{}``."""
    body = {} if response.data is None else _without_envelope(response.data)
    data = _tagged(body, response.etag)
    if not isinstance(data, dict):
        raise MalformedResponseError(
            status_code=response.status_code,
            error_description="The API answered with something other than a JSON object",
            raw_body=repr(response.data),
        )
    return data


def _page_parts(response: ApiResponse) -> tuple[list[Any], bool, str | None]:
    body = response.data
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise MalformedResponseError(
            status_code=response.status_code,
            error_description="The API answered a list call without a 'data' list",
            raw_body=repr(body),
        )
    cursor = body.get("next_cursor")
    return items, bool(body.get("has_more")), cursor if isinstance(cursor, str) else None


def _parse_models(model: type[ModelT], items: list[Any], response: ApiResponse) -> list[ModelT]:
    """Items parsed into ``model``; an item the model refuses is a malformed answer, not a crash."""
    parse = model.model_validate
    try:
        return [parse(item) for item in items]
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise MalformedResponseError(
            status_code=response.status_code,
            error_description=f"The API answered with an object that is not a valid {model.__name__}",
            raw_body=str(error),
        ) from error


class _Node:
    """Holds the transport and the base path every call of a resource or scope starts from."""

    def __init__(self, client: HttpClient, base_path: str) -> None:
        self._client = client
        self._base_path = base_path

    @property
    def base_path(self) -> str:
        """The path, below the base URL, that this object's calls start from."""
        return self._base_path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._base_path!r})"

    def _send(
        self,
        endpoint: Endpoint,
        ids: tuple[str, ...],
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        if_match: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> Awaitable[ApiResponse]:
        # not a coroutine itself: handing back the transport's saves an await layer on every call
        return self._client.request(
            endpoint.method,
            self._base_path + endpoint.render(ids),
            body=body,
            query=query,
            headers=_call_headers(headers, if_match, idempotency_key),
            timeout=timeout,
        )

    async def _object(
        self,
        endpoint: Endpoint,
        ids: tuple[str, ...],
        *,
        body: Any = None,
        if_match: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        """Call and return the single object answered, unwrapped, with ``_etag``."""
        response = await self._send(
            endpoint,
            ids,
            body=body,
            if_match=if_match,
            idempotency_key=idempotency_key,
            timeout=timeout,
            headers=headers,
        )
        return _unwrap_object(response)

    async def _any(
        self,
        endpoint: Endpoint,
        ids: tuple[str, ...],
        *,
        body: Any = None,
        if_match: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> Any:
        """Call and return whatever was answered: an object is unwrapped and gets ``_etag``."""
        response = await self._send(
            endpoint,
            ids,
            body=body,
            if_match=if_match,
            idempotency_key=idempotency_key,
            timeout=timeout,
            headers=headers,
        )
        return _unwrap(response)

    async def _model(
        self,
        endpoint: Endpoint,
        ids: tuple[str, ...],
        model: type[ModelT],
        *,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> ModelT:
        """Call and parse the single object answered into ``model``, its ETag kept as ``_etag``."""
        response = await self._send(endpoint, ids, timeout=timeout, headers=headers)
        (instance,) = _parse_models(model, [_without_envelope(response.data)], response)
        instance._etag = response.etag  # type: ignore[attr-defined]
        return instance

    async def _none(
        self,
        endpoint: Endpoint,
        ids: tuple[str, ...],
        *,
        if_match: str | None = None,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> None:
        """Call for the effect only (DELETE answers 204)."""
        await self._send(endpoint, ids, if_match=if_match, timeout=timeout, headers=headers)

    async def _page(
        self,
        endpoint: Endpoint,
        query: Mapping[str, Any],
        *,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> Page[dict[str, Any]]:
        """Call a list endpoint and return its page of plain dicts."""
        response = await self._send(endpoint, (), query=query, timeout=timeout, headers=headers)
        items, has_more, next_cursor = _page_parts(response)
        return Page(data=items, has_more=has_more, next_cursor=next_cursor)

    async def _model_page(
        self,
        endpoint: Endpoint,
        query: Mapping[str, Any],
        model: type[ModelT],
        *,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> Page[ModelT]:
        """Call a list endpoint and return its page with every item parsed into ``model``."""
        response = await self._send(endpoint, (), query=query, timeout=timeout, headers=headers)
        items, has_more, next_cursor = _page_parts(response)
        return Page(data=_parse_models(model, items, response), has_more=has_more, next_cursor=next_cursor)

    def _iterate(
        self,
        endpoint: Endpoint,
        query: Mapping[str, Any],
        *,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of every page of a list endpoint, fetched one page at a time."""

        async def fetch(cursor: str | None) -> Page[dict[str, Any]]:
            return await self._page(endpoint, {**query, "cursor": cursor}, timeout=timeout, headers=headers)

        return auto_paginate(fetch)

    def _iterate_models(
        self,
        endpoint: Endpoint,
        query: Mapping[str, Any],
        model: type[ModelT],
        *,
        timeout: float | None,
        headers: Mapping[str, str] | None,
    ) -> AsyncIterator[ModelT]:
        """Every item of every page of a list endpoint, parsed into ``model``."""

        async def fetch(cursor: str | None) -> Page[ModelT]:
            return await self._model_page(
                endpoint, {**query, "cursor": cursor}, model, timeout=timeout, headers=headers
            )

        return auto_paginate(fetch)


class Resource(_Node):
    """Base of every generated ``XResource(client, base_path)``."""


class Scope(_Node):
    """Base of every generated ``XScope(client, base_path, x_id)``: addresses ``base_path/x_id``."""

    def __init__(self, client: HttpClient, base_path: str, scope_id: str, id_name: str) -> None:
        super().__init__(client, f"{base_path}/{validate_path_segment(scope_id, id_name)}")
