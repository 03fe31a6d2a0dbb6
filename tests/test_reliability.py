"""Faults, bad input and hostile servers: typed errors, bounded retries, no leaks, nothing sent by mistake."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    ApiError,
    AuthenticationError,
    AuthPIAdmin,
    ConfigurationError,
    MalformedResponseError,
    NetworkError,
    RateLimitError,
    RequestTimeoutError,
    ServiceUnavailableError,
    UnexpectedError,
)
from authpi_admin import http_client as transport
from authpi_admin._auth import BearerToken
from authpi_admin.http_client import HttpClient, validate_path_segment
from authpi_admin.retries import RetryConfig, parse_retry_after

BASE = "https://api.example.test"
SECRET = "key_live_5ecr3t_value"


def make(**kwargs: Any) -> HttpClient:
    options: dict[str, Any] = {"api_key": SECRET}
    options.update(kwargs)
    return HttpClient(BASE, **options)


# ------------------------------------------------------------------------------------ transport failures

RETRYABLE_FAILURES = [
    httpx.ConnectError("refused"),
    httpx.ReadError("connection reset by peer"),
    httpx.WriteError("broken pipe"),
    httpx.RemoteProtocolError("peer closed connection"),
    httpx.ReadTimeout("read timed out"),
    httpx.ConnectTimeout("connect timed out"),
    httpx.PoolTimeout("no connection free"),
]


@pytest.mark.parametrize("failure", RETRYABLE_FAILURES, ids=lambda e: type(e).__name__)
async def test_reads_retry_transport_failures_then_succeed(
    httpx_mock: HTTPXMock, waits: list[float], failure: Exception
) -> None:
    httpx_mock.add_exception(failure)
    httpx_mock.add_exception(failure)
    httpx_mock.add_response(json={"ok": True})
    client = make()
    assert (await client.request("GET", "/v1/x")).data == {"ok": True}
    assert waits == [1.0, 2.0]
    await client.close()


@pytest.mark.parametrize("failure", RETRYABLE_FAILURES, ids=lambda e: type(e).__name__)
async def test_spent_budget_raises_a_typed_network_error(
    httpx_mock: HTTPXMock, waits: list[float], failure: Exception
) -> None:
    httpx_mock.add_exception(failure, is_reusable=True)
    client = make(retries={"limit": 2})
    with pytest.raises(NetworkError) as caught:
        await client.request("GET", "/v1/x")
    error = caught.value
    assert isinstance(error, ApiError)
    assert (error.status_code, error.retryable) == (0, True)
    assert error.__cause__ is failure
    assert isinstance(error, RequestTimeoutError) is isinstance(failure, httpx.TimeoutException)
    assert error.error == ("timeout" if isinstance(failure, httpx.TimeoutException) else "network_error")
    assert len(httpx_mock.get_requests()) == 3
    await client.close()


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
async def test_writes_are_not_retried_after_a_transport_failure(
    httpx_mock: HTTPXMock, waits: list[float], method: str
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("lost"))
    client = make()
    with pytest.raises(RequestTimeoutError):
        await client.request(method, "/v1/x", body={"a": 1})
    assert len(httpx_mock.get_requests()) == 1
    assert waits == []
    await client.close()


@pytest.mark.parametrize(
    "failure",
    [
        httpx.UnsupportedProtocol("nope"),
        httpx.DecodingError("bad gzip"),
        httpx.ProxyError("proxy said no"),
        httpx.LocalProtocolError("bad request line"),
        httpx.TooManyRedirects("loop"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_other_httpx_errors_are_typed_and_not_retried(
    httpx_mock: HTTPXMock, waits: list[float], failure: Exception
) -> None:
    httpx_mock.add_exception(failure)
    client = make()
    with pytest.raises(NetworkError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.__cause__ is failure
    assert waits == []
    await client.close()


# ------------------------------------------------------------------------------------------ retry timing


async def test_jitter_shortens_the_backoff_by_up_to_a_quarter(
    httpx_mock: HTTPXMock, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "_jitter", lambda: 0.8)
    httpx_mock.add_response(status_code=503, is_reusable=True)
    client = make(retries={"limit": 3, "delay": 2.0})
    with pytest.raises(ServiceUnavailableError):
        await client.request("GET", "/v1/x")
    assert waits == pytest.approx([2.0 * 0.8, 4.0 * 0.8, 8.0 * 0.8])
    await client.close()


def test_wait_is_within_the_jitter_band_and_capped() -> None:
    config = RetryConfig(limit=10, delay=1.0, max_delay=5.0)
    for retry_number in range(10):
        wait = config.wait_before(retry_number)
        assert min(2**retry_number * 0.75, 5.0) <= wait <= min(2**retry_number, 5.0)
    assert config.wait_before(500, jitter=0.0) == 5.0  # no overflow, still capped


async def test_retry_after_as_an_http_date(httpx_mock: HTTPXMock, waits: list[float]) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    httpx_mock.add_response(status_code=503, headers={"Retry-After": when})
    httpx_mock.add_response(json={})
    client = make()
    await client.request("GET", "/v1/x")
    assert 27 <= waits[0] <= 30
    await client.close()


@pytest.mark.parametrize("header", ["-5", "nan", "inf", "soon", "", "Wed, 21 Oct 2015 07:28:00 GMT"])
async def test_unusable_retry_after_falls_back_to_backoff(
    httpx_mock: HTTPXMock, waits: list[float], header: str
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": header})
    httpx_mock.add_response(json={})
    client = make()
    await client.request("GET", "/v1/x")
    assert waits == [1.0]
    await client.close()


async def test_retry_after_beyond_the_cap_raises_at_once(httpx_mock: HTTPXMock, waits: list[float]) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "3600"}, json={"error": "rate_limited"})
    client = make(retries={"max_delay": 30})
    with pytest.raises(RateLimitError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.retry_after == 3600
    assert waits == []
    assert len(httpx_mock.get_requests()) == 1
    await client.close()


async def test_max_delay_caps_computed_waits(httpx_mock: HTTPXMock, waits: list[float]) -> None:
    httpx_mock.add_response(status_code=502, is_reusable=True)
    client = make(retries={"limit": 3, "delay": 10, "max_delay": 15})
    with pytest.raises(ApiError):
        await client.request("GET", "/v1/x")
    assert waits == [10.0, 15.0, 15.0]
    await client.close()


def test_retry_limit_is_bounded() -> None:
    with pytest.raises(ConfigurationError, match="from 0 to 100"):
        RetryConfig(limit=1_000_000)
    with pytest.raises(ConfigurationError, match="max_delay"):
        RetryConfig(max_delay=-1)


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after("Fri, 27 Nov 2026 12:01:00 GMT", now) == 60.0
    assert parse_retry_after("Fri, 27 Nov 2026 11:59:00 GMT", now) is None
    for garbage in (None, "", "-1", "NaN", "Infinity", "tomorrow", "1e400"):
        assert parse_retry_after(garbage, now) is None


# ----------------------------------------------------------------------------------------- token refresh


async def test_failed_refresh_reaches_every_waiter_and_the_next_401_tries_again(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, match_headers={"authorization": "Bearer old"}, is_reusable=True)
    httpx_mock.add_response(json={}, match_headers={"authorization": "Bearer new"}, is_reusable=True)
    calls = 0
    boom = RuntimeError("identity provider is down")

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise boom
        return {"access_token": "new"}

    client = HttpClient(BASE, access_token="old", on_token_expired=refresh)
    results = await asyncio.gather(*(client.request("GET", f"/v1/{i}") for i in range(10)), return_exceptions=True)
    assert calls == 1
    assert all(isinstance(r, AuthenticationError) for r in results)
    assert all(r.__cause__ is boom for r in results if isinstance(r, BaseException))
    assert {r.error for r in results if isinstance(r, AuthenticationError)} == {"token_refresh_failed"}
    assert (await client.request("GET", "/v1/again")).data == {}
    assert calls == 2
    await client.close()


async def test_cancelled_request_during_refresh_leaves_the_client_usable(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, match_headers={"authorization": "Bearer old"}, is_reusable=True)
    httpx_mock.add_response(json={"ok": 1}, match_headers={"authorization": "Bearer new"}, is_reusable=True)
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return {"access_token": "new"}

    client = HttpClient(BASE, access_token="old", on_token_expired=refresh)
    first = asyncio.create_task(client.request("GET", "/v1/a"))
    await started.wait()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    release.set()
    assert (await client.request("GET", "/v1/b")).data == {"ok": 1}
    assert calls == 1
    await client.close()


async def test_never_more_than_one_refresh_per_request(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, is_reusable=True)
    tokens = iter(["t1", "t2", "t3"])
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        return {"access_token": next(tokens)}

    client = HttpClient(BASE, access_token="t0", on_token_expired=refresh)
    with pytest.raises(AuthenticationError):
        await client.request("GET", "/v1/x")
    assert (calls, len(httpx_mock.get_requests())) == (1, 2)
    await client.close()


@pytest.mark.parametrize("result", [{"access_token": 5}, {"access_token": ""}, {}, ["access_token"], None])
async def test_refresh_result_must_hold_a_string_token(httpx_mock: HTTPXMock, result: Any) -> None:
    httpx_mock.add_response(status_code=401)

    async def refresh() -> Any:
        return result

    client = HttpClient(BASE, access_token="old", on_token_expired=refresh)
    with pytest.raises(AuthenticationError, match="non-empty 'access_token'"):
        await client.request("GET", "/v1/x")
    await client.close()


# ------------------------------------------------------------------------------------------- responses


async def test_list_without_a_data_list_is_malformed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, json={"data": {"not": "a list"}, "has_more": False})
    async with AuthPIAdmin(api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError) as caught:
            await admin.issuers.list()
    assert caught.value.status_code == 200
    assert "not" in (caught.value.raw_body or "")


async def test_object_call_answered_with_a_list_is_malformed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, json=[1, 2, 3])
    async with AuthPIAdmin(api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError):
            await admin.issuers.get("iss_1")


async def test_list_all_stops_when_the_server_repeats_a_cursor(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"id": 1}], "has_more": True, "next_cursor": "c1"})
    httpx_mock.add_response(json={"data": [{"id": 2}], "has_more": True, "next_cursor": "c2"})
    httpx_mock.add_response(json={"data": [{"id": 3}], "has_more": True, "next_cursor": "c1"})
    seen = []
    async with AuthPIAdmin(api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="repeated a pagination cursor"):
            async for item in admin.issuers.list_all():
                seen.append(item["id"])
    assert seen == [1, 2, 3]


@pytest.mark.parametrize(
    "content",
    [b"[]", b'"text"', b"null", b'{"error": {"nested": true}}', b"\xff\xfe garbage", b"x" * 2_000_000],
)
async def test_error_bodies_of_any_shape(httpx_mock: HTTPXMock, content: bytes) -> None:
    httpx_mock.add_response(status_code=409, content=content)
    client = make()
    with pytest.raises(ApiError) as caught:
        await client.request("POST", "/v1/x")
    assert caught.value.status_code == 409
    assert caught.value.error == "unknown"
    assert len(caught.value.raw_body or "") <= 4096
    await client.close()


# ----------------------------------------------------------------------------------------------- input


@pytest.mark.parametrize(
    "bad", ["usr\n1", "usr\x00", "a\x7fb", "tab\there", "..%2fapi-keys", "%2E%2E", "a%5Cb", "a%3Fb", "a%23b"]
)
def test_ids_with_controls_or_encoded_separators_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid user_id"):
        validate_path_segment(bad, "user_id")


async def test_bad_ids_send_nothing(httpx_mock: HTTPXMock) -> None:
    async with AuthPIAdmin(api_key=SECRET) as admin:
        for bad in ("%2e%2e", "x\r\nHost: evil"):
            with pytest.raises(ValueError):
                await admin.issuer("iss_1").users.get(bad)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"X-Ok": "a\r\nSet-Cookie: x"}, ValueError),
        ({"X-Ok": "a\nb"}, ValueError),
        ({"X-Ok": "nul\x00"}, ValueError),
        ({"Bad Name": "v"}, ValueError),
        ({"X-Split\r\n": "v"}, ValueError),
        ({"": "v"}, ValueError),
        ({"X-Num": 5}, TypeError),
    ],
)
async def test_bad_headers_are_refused_before_sending(
    httpx_mock: HTTPXMock, headers: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        make(default_headers=headers)
    client = make()
    with pytest.raises(error):
        await client.request("GET", "/v1/x", headers=headers)
    async with AuthPIAdmin(api_key=SECRET) as admin:
        with pytest.raises(error):
            await admin.issuers.list(headers=headers)
    assert httpx_mock.get_requests() == []
    await client.close()


async def test_if_match_and_idempotency_key_values_are_checked(httpx_mock: HTTPXMock) -> None:
    async with AuthPIAdmin(api_key=SECRET) as admin:
        with pytest.raises(ValueError, match="if-match"):
            await admin.issuers.update("iss_1", {}, if_match='"v1"\r\nX-Evil: 1')
        with pytest.raises(ValueError, match="idempotency-key"):
            await admin.issuers.create({}, idempotency_key="k\n")
    assert httpx_mock.get_requests() == []


def test_credentials_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError):
        HttpClient(BASE, api_key="key\r\nX-Evil: 1")


@pytest.mark.parametrize("timeout", [float("inf"), -0.5, 0])
async def test_bad_per_call_timeouts(httpx_mock: HTTPXMock, timeout: float) -> None:
    async with AuthPIAdmin(api_key=SECRET) as admin:
        with pytest.raises(ValueError, match="timeout"):
            await admin.issuers.list(timeout=timeout)
    assert httpx_mock.get_requests() == []


# ------------------------------------------------------------------------------------ secrets, transport


async def test_no_credential_in_reprs_errors_attributes_or_logs(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture, waits: list[float]
) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=401, json={"error": "unauthorized", "error_description": "bad key"})
    admin = AuthPIAdmin(api_key=SECRET)
    with caplog.at_level(logging.DEBUG, logger="authpi_admin"), pytest.raises(AuthenticationError) as caught:
        await admin.issuers.list()
    await admin.close()
    texts = [repr(admin), str(admin), repr(admin.http), repr(admin.http._token), str(admin.http._token)]
    texts += [repr(caught.value), str(caught.value), str(vars(caught.value))]
    texts += [r.getMessage() for r in caplog.records]
    texts += [repr(v) for v in vars(admin).values()] + [repr(v) for v in vars(admin.http).values()]
    assert all(SECRET not in text for text in texts)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("GET /v1/accounts/me/issuers -> 503 (attempt 1, ")
    assert messages[1].startswith("GET /v1/accounts/me/issuers -> 401 (attempt 2, ")
    assert BearerToken(SECRET, None, {}).value == SECRET


async def test_network_failures_are_logged_by_class(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture, waits: list[float]
) -> None:
    httpx_mock.add_exception(httpx.ConnectError(f"could not reach host with {SECRET}"))
    httpx_mock.add_response(json={})
    client = make()
    with caplog.at_level(logging.DEBUG, logger="authpi_admin"):
        await client.request("GET", "/v1/x")
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["GET /v1/x -> ConnectError", "GET /v1/x -> 200"]
    await client.close()


@pytest.mark.parametrize(
    "url",
    ["https://api.authpi.dev", "http://127.0.0.1:8787", "http://127.5.6.7", "http://localhost:9", "http://[::1]:80"],
)
def test_base_urls_that_are_allowed(url: str) -> None:
    assert AuthPIAdmin(api_key="k", base_url=url).http.base_url == url


@pytest.mark.parametrize(
    "url", ["http://api.authpi.dev", "http://10.0.0.5", "http://localhost.evil.test", "ftp://x", "api.authpi.dev"]
)
def test_base_urls_that_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        AuthPIAdmin(api_key="k", base_url=url)


def test_insecure_http_can_be_allowed_explicitly() -> None:
    admin = AuthPIAdmin(api_key="k", base_url="http://internal.proxy:8080", allow_insecure_http=True)
    assert admin.http.base_url == "http://internal.proxy:8080"


async def test_redirects_are_never_followed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=302, headers={"location": "https://evil.example/steal"})
    async with httpx.AsyncClient(follow_redirects=True) as injected:
        admin = AuthPIAdmin(api_key=SECRET, http_client=injected)
        with pytest.raises(UnexpectedError) as caught:
            await admin.issuers.list()
    assert caught.value.status_code == 302
    requests = httpx_mock.get_requests()
    assert [r.url.host for r in requests] == ["api.authpi.dev"]


async def test_an_id_too_long_for_a_url_is_a_value_error(httpx_mock: HTTPXMock) -> None:
    async with AuthPIAdmin(api_key=SECRET) as admin:
        with pytest.raises(ValueError, match="Cannot build a request URL"):
            await admin.issuers.get("i" * 70_000)
    assert httpx_mock.get_requests() == []


async def test_a_model_the_server_breaks_is_a_malformed_response(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"id": "evt_1", "type": 5}], "has_more": False})
    httpx_mock.add_response(json={"data": {"content": "no ids"}})
    async with AuthPIAdmin(api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="not a valid Event") as caught:
            await admin.events.list()
        assert caught.value.__cause__ is not None
        with pytest.raises(MalformedResponseError, match="not a valid Note"):
            await admin.accounts.backlinks_notes("me")


async def test_a_refresh_that_finished_just_now_is_used_before_its_callback_runs() -> None:
    """A waiter can meet the refresh task done while its done-callback is still only scheduled."""

    async def never() -> dict[str, str]:
        raise AssertionError("the callback must not run again")

    token = BearerToken("old", never, {})
    finished: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    finished.set_result("new")
    token._refreshing = finished  # type: ignore[assignment]
    await token.refresh("old")
    assert token.value == "new"
    assert token.headers()["authorization"] == "Bearer new"
