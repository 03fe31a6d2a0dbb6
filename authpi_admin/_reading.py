"""Reading answers: bodies streamed with a bound on their decoded size, parsed into an answer or a typed error.

A hostile or broken server must not exhaust memory (a small gzip body that inflates to gigabytes), crash
the parser (JSON nested 100,000 deep) or make the SDK raise anything untyped.
"""

from __future__ import annotations

import json
import reprlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import ApiError, MalformedResponseError, NetworkError, RequestTimeoutError, error_from_response

__all__ = [
    "ERROR_BODY_LIMIT",
    "SUCCESS_BODY_LIMIT",
    "Answer",
    "ApiResponse",
    "AttemptDeadline",
    "as_any",
    "as_object",
    "error_for",
    "failure",
    "read_body",
    "redacted",
    "release",
    "shown",
    "success_for",
    "tagged",
    "without_envelope",
]

# The most of an answer's decoded body the SDK reads. Success bodies are lists of at most 100 objects or one
# object; error bodies are small JSON objects, and only their first 4096 characters are kept as raw_body.
SUCCESS_BODY_LIMIT = 64 * 1024 * 1024
ERROR_BODY_LIMIT = 256 * 1024
# Enough bytes to decode the 4096 characters an error keeps as ``raw_body`` (UTF-8 takes up to 4 a character).
_RAW_BYTES = 4 * 4096


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A successful answer: the parsed JSON body (None when empty) and the ``ETag`` header.

    ``status_code`` is kept for error messages and ``empty`` tells an empty body from a JSON ``null``;
    neither takes part in equality, as in 0.3.0's two-field shape.
    """

    data: Any
    etag: str | None = None
    status_code: int = field(default=200, compare=False)
    empty: bool = field(default=False, compare=False)


class BodyTooLarge(Exception):
    """A success body passed `SUCCESS_BODY_LIMIT` once decoded."""


async def read_body(response: httpx.Response, *, error: bool) -> bytes:
    """The decoded body of a streamed response, read and closed, with memory bounded either way.

    A success body larger than `SUCCESS_BODY_LIMIT` raises `BodyTooLarge`. An error body is read raw and inflated by the
    SDK itself up to `ERROR_BODY_LIMIT`: httpx inflates a whole network chunk at once, and 64 KB of a gzip bomb can be
    64 MB.
    """
    try:
        if response.is_stream_consumed:
            # built with its body in hand (a mock transport): already read and decoded
            body = response.content
            if error:
                return body[:ERROR_BODY_LIMIT]
            if len(body) > SUCCESS_BODY_LIMIT:
                raise _too_large()
            return body
        if error:
            raw = await _read_raw(response, ERROR_BODY_LIMIT)
            return _inflate(raw, response.headers.get("content-encoding", ""), ERROR_BODY_LIMIT)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > SUCCESS_BODY_LIMIT:
                raise _too_large()
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        await response.aclose()


def _too_large() -> BodyTooLarge:
    return BodyTooLarge(f"The API answered with more than {SUCCESS_BODY_LIMIT // (1024 * 1024)} MiB")


async def _read_raw(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of the body as sent (still encoded)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _inflate(raw: bytes, encoding: str, limit: int) -> bytes:
    """``raw`` decoded as its ``Content-Encoding`` says, to at most ``limit`` bytes.

    gzip and deflate are inflated with a bound on the output; an encoding the SDK does not inflate itself
    (br, zstd, several at once) gives an empty body, and the error is known by its status alone.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw[:limit]
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return b""
    # gzip; deflate is meant to be zlib-wrapped, but some servers send it raw
    for wbits in (31,) if "gzip" in encoding else (15, -15):
        try:
            return zlib.decompressobj(wbits).decompress(raw, limit)
        except zlib.error:
            continue
    return b""


def _parse_json(raw: bytes) -> Any:
    """``json.loads``; ``ValueError`` for text that is not JSON or JSON nested too deep to parse."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def success_for(response: httpx.Response, raw: bytes) -> ApiResponse:
    """The [`ApiResponse`][authpi_admin.http_client.ApiResponse] for a 2xx answer;
    [`MalformedResponseError`][authpi_admin.errors.MalformedResponseError] if its body is not JSON."""
    etag = response.headers.get("etag")
    if response.status_code == 204 or not raw:
        return ApiResponse(None, etag, response.status_code, empty=True)
    try:
        data = _parse_json(raw)
    except ValueError as problem:
        raise MalformedResponseError(
            status_code=response.status_code,
            error_description=f"The API answered with a body that is not JSON ({problem})",
            raw_body=raw[:_RAW_BYTES].decode("utf-8", "replace"),
        ) from None
    return ApiResponse(data, etag, response.status_code)


def error_for(response: httpx.Response, raw: bytes) -> ApiError:
    """The typed error for an answer outside 2xx: its class from the status, its fields from a JSON body."""
    try:
        body: Any = _parse_json(raw) if raw else None
    except ValueError:
        body = None
    raw_text = raw[:_RAW_BYTES].decode("utf-8", "replace") if raw and not isinstance(body, Mapping) else None
    return error_from_response(status_code=response.status_code, body=body, headers=response.headers, raw_body=raw_text)


# ------------------------------------------------------------------------------------ unwrapping answers


def _bounded_repr() -> reprlib.Repr:
    shown = reprlib.Repr()  # its limits are attributes (keyword arguments only from Python 3.12)
    shown.maxlevel, shown.maxdict, shown.maxlist, shown.maxstring, shown.maxother = 4, 20, 20, 200, 200
    return shown


_SHOWN = _bounded_repr()


def shown(data: Any) -> str:
    """A bounded ``repr`` of an odd answer for ``raw_body``: however large or deep it is."""
    return _SHOWN.repr(data)


def without_envelope(data: Any) -> Any:
    """The object inside a ``{"data": ...}`` envelope (a body whose only key is ``data``), else ``data``."""
    if isinstance(data, dict) and len(data) == 1 and "data" in data:
        return data["data"]
    return data


def tagged(data: Any, etag: str | None) -> Any:
    """``data`` with ``_etag`` added when it is an object and the answer had an ETag."""
    if isinstance(data, dict) and etag is not None:
        data["_etag"] = etag
    return data


def as_any(response: ApiResponse) -> Any:
    """Whatever was answered: an object is unwrapped and gets ``_etag``."""
    return tagged(without_envelope(response.data), response.etag)


def as_object(response: ApiResponse) -> dict[str, Any]:
    """One object, unwrapped, with ``_etag``; an empty body is ``{}``, anything else (``null`` too) is malformed."""
    data = tagged({} if response.empty else without_envelope(response.data), response.etag)
    if not isinstance(data, dict):
        raise MalformedResponseError(
            status_code=response.status_code,
            error_description="The API answered with something other than a JSON object",
            raw_body=shown(response.data),
        )
    return data


# ------------------------------------------------------------------------------ an attempt's outcome


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: the response (status and headers) and its body, already read and bounded."""

    response: httpx.Response
    body: bytes


_EMPTY_STREAM = httpx.ByteStream(b"")


def release(response: httpx.Response) -> None:
    """Let a fully read response be freed at once rather than at the next cyclic garbage collection.

    httpx keeps a response and the stream bound to it in a reference cycle. The SDK reads the body
    before this is called and never hands the response out, so cutting the cycle is safe, and it keeps
    ``list_all`` in flat memory: otherwise every page waits for the collector.
    """
    response.stream = _EMPTY_STREAM


class AttemptDeadline(httpx.ReadTimeout):
    """An attempt outlived its whole-attempt deadline (httpx's own timeouts limit each read only)."""


def _where(method: str, url: httpx.URL) -> str:
    """``GET api.authpi.dev`` (with the port when the URL names one): what a network error could not
    reach. Never the path or query, which may hold ids a log should not collect, nor any credential."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{method} {host}:{url.port}" if url.port else f"{method} {host}"


def network_error(error: httpx.HTTPError, method: str, url: httpx.URL) -> NetworkError:
    """The typed error for an attempt that got no HTTP answer, naming the method and host it tried."""
    kind = type(error).__name__
    where = _where(method, url)
    if isinstance(error, AttemptDeadline):
        return RequestTimeoutError(f"The request timed out: {error} ({where})")
    if isinstance(error, httpx.TimeoutException):
        return RequestTimeoutError(f"The request timed out ({kind}; {where})")
    return NetworkError(f"The request failed on the network ({kind}; {where})")


def failure(outcome: Answer | httpx.HTTPError, method: str, url: httpx.URL) -> ApiError:
    """The typed error for an attempt that will not be retried."""
    if isinstance(outcome, Answer):
        return error_for(outcome.response, outcome.body)
    error = network_error(outcome, method, url)
    error.__cause__ = outcome  # as ``raise ... from outcome`` would
    return error


def redacted(error: httpx.HTTPError) -> httpx.HTTPError:
    """``error`` made safe to keep as an error's ``__cause__``: error trackers record both.

    The request it carries loses its credential, and the traceback (whose httpx and httpcore frames hold
    the request headers in their locals) is dropped.
    """
    try:
        request = error.request
    except RuntimeError:  # raised before a request was attached
        pass
    else:
        if "authorization" in request.headers:
            request.headers["authorization"] = "[redacted]"
    return error.with_traceback(None)
