"""The transport: one [`HttpClient`][authpi_admin.http_client.HttpClient] that owns authentication, headers, retries and
error mapping.

Resource classes describe a call (method, path, query, body, headers) and hand it to
[`request()`][authpi_admin.http_client.HttpClient.request], which returns the parsed body as it came, with the
response's ETag.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ._account import ACCOUNT_PLACEHOLDER, AccountResolver, readable_path
from ._auth import BearerToken, TokenRefresher
from ._deadlines import Deadlines
from ._headers import allowed_headers, starting_headers
from ._in_flight import InFlightLimit, InFlightSlot
from ._open_calls import SharedPool
from ._raw import FINAL_ATTEMPT
from ._reading import Answer, ApiResponse, AttemptDeadline, as_object, failure, redacted, success_for
from ._sending import direct_route, exchange, is_made_for_the_sdk
from ._tracing import OperationTrace, Tracing, check_tracer_provider
from ._validation import (
    DEFAULT_TIMEOUT,
    check_base_url,
    check_credential,
    check_max_concurrency,
    is_default_timeout,
    timeout_config,
    timeout_phases,
    validate_path_segment,
)
from .errors import AUTO_RETRIED_STATUSES, ClosedClientError, ConfigurationError
from .retries import RetryConfig, RetryEvent, RetryPolicy

if TYPE_CHECKING:
    import asyncio

# HttpClient, ApiResponse, RetryConfig and validate_path_segment were importable from here in 0.3.0.
__all__ = ["ApiResponse", "HttpClient", "RetryConfig", "validate_path_segment"]


# How many requests one client has in flight at most: httpx's default pool size. Callers that start more
# at once (asyncio.gather over 10,000 calls) wait in the SDK instead of in httpx's pool, where waiting
# costs more with every waiter and ends in pool timeouts.
DEFAULT_MAX_CONCURRENCY = 100

logger = logging.getLogger("authpi_admin")

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# How many parsed request URLs a client keeps (then it starts over).
_URL_CACHE_SIZE = 256

# What a call made through HttpClient.request() is named in retry events, logs and traces.
_REQUEST = "HttpClient.request"

# The module an application that traces has imported (see _tracing).
_OTEL_TRACE = "opentelemetry.trace"


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through object.__setattr__, once a call
class _Prepared:
    """A request checked and encoded once, sent as often as retries need."""

    method: str
    path: str
    url: httpx.URL
    headers: dict[str, str] | None  # content-type and the caller's headers, on top of the client's
    content: bytes | None
    idempotent: bool  # a write with an Idempotency-Key: retried like a read
    timeout: httpx.Timeout | None  # None: the injected httpx client's own timeout
    deadline: float | None  # seconds one attempt may take, connect to last byte (httpx limits each read)
    operation: str  # the SDK method it is (UsersResource.list), for retry events, logs and traces
    trace: OperationTrace | None  # the call's span, when it is traced


# json.dumps(body, allow_nan=False) builds a new encoder on every call (any non-default option does): one,
# made once, writes the same bytes.
_JSON = json.JSONEncoder(allow_nan=False)


def encode_body(body: Any) -> bytes:
    """The JSON bytes sent for ``body``: ``json.dumps`` with its defaults, as 0.3.0 sent them.

    Top-level keys that start with ``_`` (``_etag``) are dropped, so an object read from the API can be
    sent back as it is; nested ones are data and are kept. ``NaN`` and infinities are refused
    (``ValueError``): they are not JSON. ``TypeError`` for anything JSON cannot hold.
    """
    if type(body) is dict or isinstance(body, Mapping):
        body = {key: value for key, value in body.items() if not (isinstance(key, str) and key.startswith("_"))}
    try:
        return _JSON.encode(body).encode()
    except RecursionError:
        raise ValueError("The body is nested too deeply to send as JSON") from None


def _longest_phase(timeout: httpx.Timeout) -> float | None:
    """The whole-attempt deadline for ``timeout``: its longest phase (None when no phase is limited)."""
    phases = [phase for phase in timeout_phases(timeout) if phase is not None]
    return max(phases) if phases else None


class HttpClient:
    """Sends requests to the AuthPI API: auth, headers, retries, token refresh and typed errors."""

    _last_deadline: tuple[httpx.Timeout, float | None] | None = None  # see _deadline_for

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | tuple[str, str] | None = None,
        access_token: str | None = None,
        on_token_expired: TokenRefresher | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        default_headers: Mapping[str, str] | None = None,
        retries: bool | Mapping[str, Any] | RetryConfig | RetryPolicy | None = None,
        allow_insecure_http: bool = False,
        idempotency_keys: bool = False,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        tracer_provider: object | None = None,
        tracing: bool = True,
    ) -> None:
        scheme, token = check_credential(api_key, access_token)
        check_tracer_provider(tracer_provider)
        configured = timeout_config(timeout)
        self._base_url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
        self._retry = RetryPolicy.from_option(retries)
        self._idempotency_keys = idempotency_keys
        self._max_concurrency = check_max_concurrency(max_concurrency)
        self._slots = InFlightLimit(self._max_concurrency)  # shared by with_options() siblings, like the pool
        # a client this package made for the SDK (the emulator's in-process one) is the SDK's to close
        self._owns_http_client = http_client is None or is_made_for_the_sdk(http_client)
        # A plain-http base URL never goes through an environment proxy (HTTP_PROXY): the credential would
        # cross it in clear text. https:// honours HTTPS_PROXY as httpx does, through a CONNECT tunnel.
        plain_http = self._base_url.startswith("http://")
        self._http = http_client or httpx.AsyncClient(timeout=configured, trust_env=not plain_http)
        # Closed by this client's own close(): a sibling's ends only the sibling.
        self._closed = False
        # One state for the pool, shared by every with_options() sibling: closing the client made here
        # (the root) closes them all, checked before every attempt of each (see _send). Each member's calls
        # in flight are its own, for close() to end.
        self._pool = SharedPool()
        self._root = True
        self._calls = self._pool.join()
        self._token = BearerToken(token, on_token_expired, scheme=scheme)
        self._account = AccountResolver(self.whoami)
        self._route = direct_route(self._http, owned=self._owns_http_client)
        # Built once, not per request: the headers every request starts from, the timeout object, and
        # parsed URLs of recent paths (httpx's URL parsing is costly).
        self._base_headers = starting_headers(self._http, default_headers, direct=self._route is not None)
        keep_injected = http_client is not None and is_default_timeout(timeout)
        self._timeout_config: httpx.Timeout | None = None if keep_injected else configured
        self._urls: dict[str, httpx.URL] = {}
        self._loop: asyncio.AbstractEventLoop | None = None  # set by the first request
        self._deadlines = Deadlines()
        self._tracing = Tracing(enabled=bool(tracing), provider=tracer_provider)
        self._server = httpx.URL(self._base_url)  # the host and port traces name

    def __repr__(self) -> str:
        return f"HttpClient(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing ``/``."""
        return self._base_url

    @property
    def is_closed(self) -> bool:
        """True once [`close()`][authpi_admin.http_client.HttpClient.close] was called on this client or on the client
        whose connections it shares
        (or the injected httpx client was closed)."""
        return self._closed or self._pool.closed or self._http.is_closed

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        retries: bool | Mapping[str, Any] | RetryConfig | RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpClient:
        """A sibling that shares this client's connections, credential and account, with other settings.

        ``timeout`` and ``retries`` replace this client's (None keeps them); ``headers`` are added to its
        default headers. Closing the sibling leaves the shared connections open.
        """
        sibling = copy.copy(self)  # shares the pool's state, the token, the account and the in-flight bound
        sibling._owns_http_client = False
        sibling._root = False
        sibling._closed = False
        sibling._calls = self._pool.join()
        if timeout is not None:
            sibling._timeout_config = timeout_config(timeout)
        if retries is not None:
            sibling._retry = RetryPolicy.from_option(retries)
        if headers:
            sibling._base_headers = {**self._base_headers, **allowed_headers(headers)}
        return sibling

    async def whoami(self) -> dict[str, Any]:
        """``GET /v1/me``, unwrapped: who the credential is, and the accounts it may act on."""
        return as_object(await self._perform("GET", "/v1/me", None, None, None, None, "AuthPIAdmin.whoami", "/v1/me"))

    async def close(self) -> None:
        """Stop taking requests, end the calls in flight, and close the httpx client if the SDK made it.

        Every call in flight (waiting for room, for the account, for a retry or for its answer) ends with
        [`ClosedClientError`][authpi_admin.errors.ClosedClientError], unless its caller cancelled it first; ``close()``
        returns once they have unwound, so none of them succeeds afterwards and no attempt starts after ``close()``
        began.
        Closing the client you made closes every ``with_options()`` sibling of it too (a call a sibling
        starts meanwhile is refused); closing a sibling ends only the sibling's calls and leaves the shared
        connections open. An injected httpx client stays open. Concurrent ``close()`` calls all return
        once the calls have unwound.
        """
        self._closed = True
        if self._root:  # every sibling's calls end too
            await self._pool.close()
            if self._owns_http_client:
                await self._http.aclose()
        else:
            await self._calls.abort()

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> ApiResponse:
        """Send one call; return its parsed body and ETag, or raise a typed [`ApiError`][authpi_admin.errors.ApiError].

        The retry policy decides what is sent again; a 401 with ``on_token_expired`` refreshes once. At most
        ``max_concurrency`` calls of this client are in flight; the others wait their turn here.
        """
        return await self._perform(method, path, body, query, headers, timeout)

    async def _perform(
        self,
        method: str,
        path: str,
        body: Any,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        timeout: float | httpx.Timeout | None,
        operation: str = _REQUEST,
        template: str | None = None,
        template_rest: str = "",
    ) -> ApiResponse:
        """One call from start to end: room in flight, the account, then attempts until one answers.

        ``operation`` names the SDK method (for retry events, logs and traces). ``template`` and
        ``template_rest`` make the document's path template of the call (placeholders kept), joined only
        when the call is traced.

        It waits for room before anything of the request is built, so thousands of waiting calls hold
        little more than their arguments (the tracing is in this frame, not one around it, for the same
        reason). The slot is given back while the call waits to retry or for the account to be resolved
        (which takes a slot of its own). [`close()`][authpi_admin.http_client.HttpClient.close] ends it,
        wherever it waits.
        """
        import asyncio  # the loop is running: already imported

        self._check_open()
        # an application that never imported OpenTelemetry traces nothing: one dictionary look-up decides
        traced = self._tracing.enabled and _OTEL_TRACE in sys.modules
        trace = self._trace(operation, method, template, template_rest) if traced else None
        calls = self._calls
        task = calls.enter()
        slot = self._slots.slot()
        waiter = slot.queue()  # awaited here, not in a coroutine of its own: a waiting call stays small
        try:
            if waiter is not None:
                await waiter
                slot.arrived()
                waiter = None
            if ACCOUNT_PLACEHOLDER in path:
                slot.give_back()
                path = path.replace(ACCOUNT_PLACEHOLDER, await self._account.resolve())
                await slot.take()
            prepared = self._prepare(method, path, body, query, headers, timeout, operation, trace)
            answer = await self._send(prepared, slot)
        except BaseException as error:
            if waiter is not None:  # cancelled while it waited for room
                slot.left_queue(waiter)
            closed = isinstance(error, asyncio.CancelledError) and calls.claims(task)
            if trace is not None:
                trace.end(ClosedClientError() if closed else error)
            if closed:
                raise ClosedClientError() from None
            raise
        finally:
            slot.give_back()
            calls.leave(task)
        if trace is not None:
            trace.end(None)
        return answer

    def _trace(self, operation: str, method: str, template: str | None, template_rest: str) -> OperationTrace | None:
        """The span of a call starting now, or None when the application traces nothing (or tracing is off)."""
        tools = self._tracing.tools()
        if tools is None:
            return None
        full = template + template_rest if template is not None else None
        return OperationTrace(tools, operation, method.upper(), full, self._server)

    async def _send(self, prepared: _Prepared, slot: InFlightSlot) -> ApiResponse:
        """Attempts until one succeeds or the retry policy gives up; the slot is given back while waiting
        (to retry, or for a token refresh, whose callback may use this client).

        ``attempts`` counts every attempt (a resend after a token refresh too); ``retries_done`` only the
        retries the policy allowed, which its ``limit`` bounds.
        """
        attempts = 0
        retries_done = 0
        refreshed = False
        while True:
            if self.is_closed:  # the one check before every attempt: no attempt starts on a closed client
                raise ClosedClientError()
            generation = self._token.generation
            attempts += 1
            outcome, elapsed = await self._attempt(prepared, attempts)
            if isinstance(outcome, Answer):
                response = outcome.response
                if 200 <= response.status_code < 300:
                    final = FINAL_ATTEMPT.get()
                    if final is not None:  # a raw call (with_raw_response) keeps the final response
                        final.note(response, elapsed, attempts - 1)
                    return success_for(response, outcome.body)
                if response.status_code == 401 and self._token.can_refresh and not refreshed:
                    refreshed = True
                    logger.info("%s: the API answered 401; refreshing the access token", prepared.operation)
                    slot.give_back()
                    await self._token.refresh(generation, prepared.deadline)
                    await slot.take()
                    continue
            policy = self._retry
            answered = outcome.response if isinstance(outcome, Answer) else outcome
            wait = (
                None
                if policy is None
                else policy.delay(prepared.method, retries_done, answered, idempotent=prepared.idempotent)
            )
            status, error_type = _reason(outcome)
            if policy is None or wait is None:
                if status is None or status in AUTO_RETRIED_STATUSES:  # a failure that retries are for
                    logger.info(
                        "%s: giving up after %d attempt(s) (%s)", prepared.operation, attempts, status or error_type
                    )
                raise failure(outcome, prepared.method, prepared.url)
            logger.info(
                "%s: retrying %s after attempt %d (%s) in %.2f s",
                prepared.operation,
                prepared.method,
                attempts,
                status or error_type,
                wait,
            )
            if prepared.trace is not None:
                prepared.trace.retry_wait(attempts, str(status or error_type), wait)
            slot.give_back()
            if policy.on_retry is not None:
                event = RetryEvent(prepared.operation, prepared.method, attempts, wait, status, error_type)
                await policy.tell(event)
            await policy.sleep(wait)
            await slot.take()
            retries_done += 1

    def _readable(self, path: str) -> str:
        """``path`` with the account found through ``/v1/me`` in the placeholder's place (for reprs)."""
        return readable_path(path, self._account.account_id)

    def _check_open(self) -> None:
        """The client is still open and on its own event loop."""
        if self.is_closed:
            raise ClosedClientError()
        self._check_event_loop()

    def _check_event_loop(self) -> None:
        """One client serves one event loop: its connections and token refresh belong to that loop.

        Reusing it from another loop (``asyncio.run`` twice) would otherwise fail deep in httpcore with
        ``RuntimeError: Event loop is closed``, or hang.
        """
        import asyncio  # already imported by the running loop: a dictionary look-up

        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise ConfigurationError(
                "This client was first used on another event loop. Create one AuthPIAdmin per event loop "
                "(for example inside the coroutine that asyncio.run() runs), and close it there."
            )

    def _prepare(
        self,
        method: str,
        path: str,
        body: Any,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        timeout: float | httpx.Timeout | None,
        operation: str = _REQUEST,
        trace: OperationTrace | None = None,
    ) -> _Prepared:
        """Check and encode everything the caller gave, before anything is sent."""
        url = self._url(path, query)
        extra: dict[str, str] | None = None
        content: bytes | None = None
        if body is not None:
            content = encode_body(body)
            extra = {"content-type": "application/json"}
        if headers:
            extra = {**extra, **allowed_headers(headers)} if extra else allowed_headers(headers)
        method = method.upper()
        write = method in _WRITES
        if write and self._idempotency_keys and not (extra and "idempotency-key" in extra):
            import uuid  # only for clients that ask for keys

            extra = {**(extra or {}), "idempotency-key": str(uuid.uuid4())}  # one key for every attempt
        idempotent = write and extra is not None and "idempotency-key" in extra
        call_timeout = self._timeout_config if timeout is None else timeout_config(timeout)
        deadline = self._deadline_for(call_timeout or self._http.timeout)
        return _Prepared(method, path, url, extra, content, idempotent, call_timeout, deadline, operation, trace)

    def _deadline_for(self, timeout: httpx.Timeout) -> float | None:
        """`_longest_phase` of ``timeout``, remembered for the last timeout asked about (usually the
        client's own, the same object every call)."""
        if self._last_deadline is None or self._last_deadline[0] is not timeout:
            self._last_deadline = (timeout, _longest_phase(timeout))
        return self._last_deadline[1]

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        """The client's headers, the current token's ``authorization``, then the request's own.

        Built per attempt, not cached on the client: a cached copy would hold the secret outside the
        redacted token (and a refresh changes it).
        """
        headers = {**self._base_headers, "authorization": self._token.authorization}
        if extra:
            headers.update(extra)
        return headers

    def _url(self, path: str, query: Mapping[str, Any] | None) -> httpx.URL:
        """The parsed URL for ``path`` and ``query`` (None values dropped), from a small cache.

        Parsing a URL is one of the costliest steps of an httpx request, and lists and hot objects reuse
        the same URLs. The query is encoded by httpx's own ``QueryParams``, as httpx would encode it.
        """
        params = {key: value for key, value in query.items() if value is not None} if query else None
        key = f"{path}?{httpx.QueryParams(params)}" if params else path
        url = self._urls.get(key)
        if url is None:
            try:
                url = httpx.URL(self._base_url + key)
            except httpx.InvalidURL as error:  # e.g. an id so long the URL passes httpx's limit
                raise ValueError(f"Cannot build a request URL for {path[:80]!r}: {error}") from None
            # a page cursor is used once: keeping its URL would only fill the cache during list_all
            if not (params and "cursor" in params):
                if len(self._urls) >= _URL_CACHE_SIZE:
                    self._urls.clear()
                self._urls[key] = url
        return url

    async def _attempt(self, prepared: _Prepared, attempt: int) -> tuple[Answer | httpx.HTTPError, float]:
        """Send once under the whole-attempt deadline: the answer (body read, bounded) or the httpx error,
        and the seconds it took. ``attempt`` counts from 1."""
        import asyncio  # the loop is running: already imported

        started = time.perf_counter()
        deadline = prepared.deadline
        outcome: Answer | httpx.HTTPError
        span = None if prepared.trace is None else prepared.trace.attempt(prepared.method, prepared.url, attempt)
        guarded = self._deadlines.enter(deadline)
        try:
            headers = self._headers(prepared.headers)
            sending = exchange(
                self._http, self._route, prepared.method, prepared.url, headers, prepared.content, prepared.timeout
            )
            outcome = await (sending if span is None else span.send(sending, headers))
        except asyncio.CancelledError:
            if not self._deadlines.claims(guarded):
                if span is not None:
                    span.end(None, "CancelledError")
                raise  # cancelled by its caller (or by close()): not the deadline's to turn into a timeout
            outcome = AttemptDeadline(f"the attempt took longer than {deadline} s, connect to last byte")
        except httpx.HTTPError as error:
            outcome = redacted(error)
        except BaseException as error:  # a typed error of the SDK's (a body too large): the span still ends
            if span is not None:
                span.end(None, type(error).__name__)
            raise
        finally:
            self._deadlines.leave(guarded)
        elapsed = time.perf_counter() - started
        if span is not None:
            span.end(*_reason(outcome))
        if logger.isEnabledFor(logging.DEBUG):
            result = outcome.response.status_code if isinstance(outcome, Answer) else type(outcome).__name__
            logger.debug(
                "%s: %s %s -> %s (attempt %d, %.1f ms)",
                prepared.operation,
                prepared.method,
                prepared.path,
                result,
                attempt,
                elapsed * 1000,
            )
        return outcome, elapsed


def _reason(outcome: Answer | httpx.HTTPError) -> tuple[int | None, str | None]:
    """What an attempt came to: its status code, or the httpx class of the error that came instead.

    A subclass made outside httpx (the SDK's whole-attempt deadline, the emulator's dropped connection)
    is named by the httpx class it extends, so every path to the wire names a failure alike.
    """
    if isinstance(outcome, Answer):
        return outcome.response.status_code, None
    kind = next(cls for cls in type(outcome).__mro__ if cls.__module__.startswith("httpx"))
    return None, kind.__name__
