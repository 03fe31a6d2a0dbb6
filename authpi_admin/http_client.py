"""The transport: one :class:`HttpClient` that owns authentication, headers, retries and error mapping.

Resource classes describe a call (method, path, query, body, headers) and hand it to
:meth:`HttpClient.request`, which returns the parsed body as it came, with the response's ETag.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from .errors import (
    AuthenticationError,
    ClosedClientError,
    ConfigurationError,
    MalformedResponseError,
    error_from_response,
)
from .user_agent import build_user_agent

__all__ = ["ApiResponse", "HttpClient", "RetryConfig", "TokenRefresher", "validate_path_segment"]

DEFAULT_TIMEOUT = 30.0

# Methods that are safe to send again: the only ones retried automatically.
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})

# Headers the SDK owns; callers may not override them through default or per-call headers.
RESERVED_HEADERS = frozenset({"authorization", "host", "user-agent"})

_PATH_SEPARATORS = ("/", "\\", "?", "#")

TokenRefresher = Callable[[], Awaitable[Mapping[str, Any]]]
"""An ``on_token_expired`` callback: returns a mapping with a new ``access_token``."""

# Indirection so tests can observe retry waits without sleeping.
_sleep = asyncio.sleep


def validate_path_segment(value: str, name: str = "id") -> str:
    """Return ``value`` if it is safe as one URL path segment, else raise ``ValueError``.

    An empty value, ``.``, ``..``, or one holding ``/``, ``\\``, ``?`` or ``#`` would address another
    endpoint than the one meant, so it is refused before anything is sent.
    """
    if (
        not isinstance(value, str)
        or value in ("", ".", "..")
        or any(separator in value for separator in _PATH_SEPARATORS)
    ):
        raise ValueError(f"Invalid {name}: must not be empty or contain path separators")
    return value


@dataclass(frozen=True)
class ApiResponse:
    """A successful answer: the parsed JSON body (None when empty) and the ``ETag`` header, if any."""

    data: Any
    etag: str | None = None


@dataclass(frozen=True)
class RetryConfig:
    """How read-only requests are retried on 429, 502, 503 and 504.

    ``limit`` retries at most (so ``limit + 1`` attempts); the wait before retry ``n`` (from 0) is
    ``delay * 2**n`` for ``"exponential"`` backoff or ``delay * (n + 1)`` for ``"linear"``, unless the
    answer carries a numeric ``Retry-After``.
    """

    limit: int = 3
    delay: float = 1.0
    backoff: Literal["exponential", "linear"] = "exponential"

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 0:
            raise ConfigurationError("retries['limit'] must be a whole number, 0 or more")
        if isinstance(self.delay, bool) or not isinstance(self.delay, int | float) or not self.delay >= 0:
            raise ConfigurationError("retries['delay'] must be a number of seconds, 0 or more")
        if self.backoff not in ("exponential", "linear"):
            raise ConfigurationError("retries['backoff'] must be 'exponential' or 'linear'")

    @classmethod
    def from_option(cls, retries: bool | Mapping[str, Any] | RetryConfig | None) -> RetryConfig | None:
        """Read the ``retries`` option: None/True for the defaults, False for none, or a dict of overrides."""
        if retries is None or retries is True:
            return cls()
        if retries is False:
            return None
        if isinstance(retries, RetryConfig):
            return retries
        if isinstance(retries, Mapping):
            unknown = set(retries) - {"limit", "delay", "backoff"}
            if unknown:
                raise ConfigurationError(f"Unknown retries option(s): {', '.join(sorted(map(str, unknown)))}")
            return cls(**retries)
        raise ConfigurationError("retries must be True, False, None or a dict")

    def wait_before(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (0 for the first retry)."""
        if self.backoff == "linear":
            return self.delay * (retry_number + 1)
        return self.delay * float(2**retry_number)


def _strip_private_keys(value: Any) -> Any:
    """Drop every dict key that starts with ``_``, through nested dicts and lists.

    So an object read with its ``_etag`` can be sent back as it is.
    """
    if isinstance(value, Mapping):
        return {
            key: _strip_private_keys(item)
            for key, item in value.items()
            if not (isinstance(key, str) and key.startswith("_"))
        }
    if isinstance(value, list | tuple):
        return [_strip_private_keys(item) for item in value]
    return value


def _allowed_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Caller headers with lower-cased names (so a later layer replaces an earlier one), reserved ones dropped."""
    if not headers:
        return {}
    lowered = ((name.lower(), value) for name, value in headers.items())
    return {name: value for name, value in lowered if name not in RESERVED_HEADERS}


def _check_timeout(timeout: float | None, name: str = "timeout") -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"{name} must be a positive number of seconds")


def _retry_after_header(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 and seconds == seconds else None


class HttpClient:
    """Sends requests to the AuthPI API: auth, headers, retries, token refresh and typed errors."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        on_token_expired: TokenRefresher | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        default_headers: Mapping[str, str] | None = None,
        retries: bool | Mapping[str, Any] | RetryConfig | None = None,
    ) -> None:
        if not api_key and not access_token:
            raise ConfigurationError("Either api_key or access_token is required")
        if api_key and access_token:
            raise ConfigurationError("Provide either api_key or access_token, not both")
        _check_timeout(timeout)
        self._base_url = base_url.rstrip("/")
        self._token: str = api_key or access_token or ""
        self._on_token_expired = on_token_expired
        self._refresh_lock = asyncio.Lock()
        self._timeout = timeout
        self._retry = RetryConfig.from_option(retries)
        self._owns_http_client = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(timeout=timeout)
        self._closed = False
        # Built once: every request starts from these.
        self._base_headers: dict[str, str] = {
            "accept": "application/json",
            "user-agent": build_user_agent(),
            **_allowed_headers(default_headers),
        }

    def __repr__(self) -> str:
        return f"HttpClient(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing ``/``."""
        return self._base_url

    @property
    def is_closed(self) -> bool:
        """True once :meth:`close` was called (or the injected httpx client was closed)."""
        return self._closed or self._http.is_closed

    async def close(self) -> None:
        """Stop taking requests; close the httpx client if this object created it."""
        self._closed = True
        if self._owns_http_client:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> ApiResponse:
        """Send one call and return its parsed body and ETag; raise a typed :class:`ApiError` otherwise.

        ``path`` is appended to the base URL. Query values that are None are dropped; dict keys that start
        with ``_`` are dropped from the body. Read-only methods are retried as configured; a 401 with an
        ``on_token_expired`` callback refreshes the token once and sends the call again.
        """
        if self.is_closed:
            raise ClosedClientError()
        _check_timeout(timeout)
        method = method.upper()
        url = self._base_url + path
        params = {key: value for key, value in query.items() if value is not None} if query else None
        request_headers = dict(self._base_headers)
        content: bytes | None = None
        if body is not None:
            content = json.dumps(
                _strip_private_keys(body), separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode()
            request_headers["content-type"] = "application/json"
        request_headers.update(_allowed_headers(headers))
        effective_timeout = timeout if timeout is not None else self._timeout

        retries_done = 0
        refreshed = False
        while True:
            token = self._token
            response = await self._send(
                method,
                url,
                params,
                {"authorization": f"Bearer {token}", **request_headers},
                content,
                effective_timeout,
            )
            status = response.status_code
            if status == 401 and self._on_token_expired is not None and not refreshed:
                refreshed = True
                await self._refresh_token(token)
                continue
            if (
                self._retry is not None
                and status in RETRYABLE_STATUSES
                and method in RETRYABLE_METHODS
                and retries_done < self._retry.limit
            ):
                wait = _retry_after_header(response)
                await _sleep(wait if wait is not None else self._retry.wait_before(retries_done))
                retries_done += 1
                continue
            return self._read(response)

    async def _send(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        headers: dict[str, str],
        content: bytes | None,
        timeout: float,
    ) -> httpx.Response:
        if self.is_closed:
            raise ClosedClientError()
        try:
            return await self._http.request(
                method, url, params=params, headers=headers, content=content, timeout=timeout
            )
        except RuntimeError:
            # httpx raises a bare RuntimeError when its client was closed elsewhere.
            if self._http.is_closed:
                raise ClosedClientError() from None
            raise

    async def _refresh_token(self, stale_token: str) -> None:
        """Refresh once for every request that met a 401 with ``stale_token``."""
        assert self._on_token_expired is not None
        async with self._refresh_lock:
            if self._token != stale_token:
                return  # another request refreshed while this one waited
            result = await self._on_token_expired()
            token = result.get("access_token") if isinstance(result, Mapping) else None
            if not isinstance(token, str) or not token:
                raise AuthenticationError(
                    error="token_refresh_failed",
                    error_description="on_token_expired must return a dict with a non-empty 'access_token'",
                    status_code=401,
                )
            self._token = token

    @staticmethod
    def _read(response: httpx.Response) -> ApiResponse:
        raw = response.content
        if response.is_success:
            if response.status_code == 204 or not raw:
                return ApiResponse(None, response.headers.get("etag"))
            try:
                data = json.loads(raw)
            except ValueError:
                raise MalformedResponseError(
                    status_code=response.status_code,
                    error_description="The API answered with a body that is not JSON",
                    raw_body=response.text,
                ) from None
            return ApiResponse(data, response.headers.get("etag"))
        try:
            error_body: Any = json.loads(raw) if raw else None
        except ValueError:
            error_body = None
        return_raw = response.text if raw and not isinstance(error_body, Mapping) else None
        raise error_from_response(
            status_code=response.status_code, body=error_body, headers=response.headers, raw_body=return_raw
        )
