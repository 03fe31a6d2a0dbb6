"""Raw responses: ``resource.with_raw_response.method(...)`` answers the HTTP response beside the parsed answer.

The raw view calls the very method the plain call runs (same checks, same wire, same parsing) while a
context variable asks the transport to note the final attempt's response. Plain calls pay one context
variable read for it.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, Generic, ParamSpec, TypeVar

import httpx

__all__ = ["RawResponse", "raw_response_of"]

P = ParamSpec("P")
T = TypeVar("T")


class _FinalAttempt:
    """What the transport notes of a raw call: the response of its final attempt, its time and the retries."""

    __slots__ = ("elapsed", "response", "retries_taken")

    def __init__(self) -> None:
        self.response: httpx.Response | None = None
        self.elapsed = 0.0
        self.retries_taken = 0

    def note(self, response: httpx.Response, elapsed: float, retries_taken: int) -> None:
        """Called by the transport when an attempt succeeded; the last call is the answer's own (an account
        found through ``/v1/me`` first is noted before it)."""
        self.response = response
        self.elapsed = elapsed
        self.retries_taken = retries_taken


# Set while a raw call runs: the transport notes its successful attempts here.
FINAL_ATTEMPT: ContextVar[_FinalAttempt | None] = ContextVar("authpi_admin_final_attempt", default=None)


class RawResponse(Generic[T]):
    """The HTTP response of one successful call, with what the plain call returns as
    [`parse()`][authpi_admin.RawResponse.parse].

    ``http_request`` is the request as the final attempt sent it, its ``Authorization`` value replaced
    by its scheme and ``[redacted]`` (a raw response is often logged whole). ``elapsed`` is that attempt's
    time, from sending to the last byte of the body; ``retries_taken`` how many attempts came before it
    (0 when the first answered; a resend after a token refresh counts).
    """

    __slots__ = ("_parsed", "elapsed", "headers", "http_request", "retries_taken", "status_code")

    def __init__(
        self,
        parsed: T,
        *,
        status_code: int,
        headers: httpx.Headers,
        http_request: httpx.Request,
        elapsed: datetime.timedelta,
        retries_taken: int,
    ) -> None:
        self._parsed = parsed
        self.status_code = status_code
        self.headers = headers
        self.http_request = http_request
        self.elapsed = elapsed
        self.retries_taken = retries_taken

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] {self.http_request.method} {self.http_request.url.path}>"

    @property
    def url(self) -> httpx.URL:
        """The URL of the final request."""
        return self.http_request.url

    def parse(self) -> T:
        """What the plain call returns: the dict (``_etag`` included), ``None`` for a 204, or the ``Page``."""
        return self._parsed


def _shown_request(request: httpx.Request) -> httpx.Request:
    """A copy of ``request`` without its credential (the scheme stays: Basic or Bearer)."""
    headers = httpx.Headers(request.headers)
    credential = headers.get("authorization")
    if credential is not None:
        scheme = credential.split(" ", 1)[0] if " " in credential else ""
        headers["authorization"] = f"{scheme} [redacted]".strip()
    return httpx.Request(request.method, request.url, headers=headers, content=request.content)


def raw_response_of(call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """``call`` (a bound method of a resource or scope) answering a [`RawResponse`][authpi_admin.RawResponse] of its
    answer."""

    @functools.wraps(call)
    async def raw(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        final = _FinalAttempt()
        token = FINAL_ATTEMPT.set(final)
        try:
            parsed = await call(*args, **kwargs)
        finally:
            FINAL_ATTEMPT.reset(token)
        response = final.response
        if response is None:  # cannot happen: a call that returned had an attempt succeed
            raise RuntimeError("the call answered without a response")
        return RawResponse(
            parsed,
            status_code=response.status_code,
            headers=response.headers,
            http_request=_shown_request(response.request),
            elapsed=datetime.timedelta(seconds=final.elapsed),
            retries_taken=final.retries_taken,
        )

    return raw


class RawView:
    """Base of every generated ``XWithRawResponse``: the calls of one resource or scope, answering
    [`RawResponse`][authpi_admin.RawResponse] objects. Made by ``resource.with_raw_response``."""

    def __init__(self, node: Any) -> None:
        self._node = node

    def __repr__(self) -> str:
        return f"{self._node!r}.with_raw_response"
