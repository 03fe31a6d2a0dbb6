"""Retries: which answers and failures are sent again, how long the client waits, and when it gives up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    ApiError,
    BadGatewayError,
    ConfigurationError,
    NetworkError,
    RateLimitError,
    RequestTimeoutError,
    ServiceUnavailableError,
)
from authpi_admin.retries import RetryConfig, parse_retry_after

from .conftest import Waits
from .transport_helpers import make

pytestmark = pytest.mark.usefixtures("wire_path")  # every test on both paths to the wire

RETRYABLE_FAILURES = [
    httpx.ConnectError("refused"),
    httpx.ReadError("connection reset by peer"),
    httpx.WriteError("broken pipe"),
    httpx.RemoteProtocolError("peer closed connection"),
    httpx.ReadTimeout("read timed out"),
    httpx.ConnectTimeout("connect timed out"),
    httpx.PoolTimeout("no connection free"),
]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_reads_are_retried_with_exponential_backoff(
    httpx_mock: HTTPXMock, waits: Waits, status: int, method: str
) -> None:
    for _ in range(3):
        httpx_mock.add_response(method=method, status_code=status)
    httpx_mock.add_response(method=method, json={"ok": 1})
    client = make(retries=waits.policy())
    assert (await client.request(method, "/v1/x")).data == {"ok": 1}
    assert waits == [1.0, 2.0, 4.0]
    assert len(httpx_mock.get_requests()) == 4
    await client.close()


async def test_limit_plus_one_attempts_then_the_error(httpx_mock: HTTPXMock, waits: Waits) -> None:
    httpx_mock.add_response(status_code=503, is_reusable=True)
    client = make(retries=waits.policy(limit=2, delay=0.5, backoff="linear"))
    with pytest.raises(ServiceUnavailableError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.retryable is True
    assert len(httpx_mock.get_requests()) == 3
    assert waits == [0.5, 1.0]
    await client.close()


async def test_numeric_retry_after_replaces_the_computed_wait(httpx_mock: HTTPXMock, waits: Waits) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "0.25"})
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "soon"})
    httpx_mock.add_response(json={})
    client = make(retries=waits.policy())
    await client.request("GET", "/v1/x")
    assert waits == [7.0, 0.25, 4.0]
    await client.close()


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT"])
async def test_mutations_are_never_retried(httpx_mock: HTTPXMock, waits: Waits, method: str) -> None:
    httpx_mock.add_response(status_code=503)
    client = make(retries=waits.policy())
    with pytest.raises(ServiceUnavailableError):
        await client.request(method, "/v1/x", body={"a": 1})
    assert len(httpx_mock.get_requests()) == 1
    assert waits == []
    await client.close()


@pytest.mark.parametrize("status", [500, 501, 400, 404, 408])
async def test_other_statuses_are_not_retried(httpx_mock: HTTPXMock, waits: Waits, status: int) -> None:
    httpx_mock.add_response(status_code=status)
    client = make(retries=waits.policy())
    with pytest.raises(Exception):  # noqa: B017 - the class is checked by the error mapping tests
        await client.request("GET", "/v1/x")
    assert len(httpx_mock.get_requests()) == 1
    await client.close()


async def test_retries_disabled(httpx_mock: HTTPXMock, waits: Waits) -> None:
    httpx_mock.add_response(status_code=502)
    client = make(retries=False)
    with pytest.raises(BadGatewayError):
        await client.request("GET", "/v1/x")
    assert waits == []
    await client.close()


async def test_rate_limit_error_after_retries_carries_retry_after(httpx_mock: HTTPXMock, waits: Waits) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "3"}, is_reusable=True)
    client = make(retries=waits.policy(limit=1))
    with pytest.raises(RateLimitError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.retry_after == 3
    assert waits == [3.0]
    await client.close()


@pytest.mark.parametrize("failure", RETRYABLE_FAILURES, ids=lambda e: type(e).__name__)
async def test_reads_retry_transport_failures_then_succeed(
    httpx_mock: HTTPXMock, waits: Waits, failure: Exception
) -> None:
    httpx_mock.add_exception(failure)
    httpx_mock.add_exception(failure)
    httpx_mock.add_response(json={"ok": True})
    client = make(retries=waits.policy())
    assert (await client.request("GET", "/v1/x")).data == {"ok": True}
    assert waits == [1.0, 2.0]
    await client.close()


@pytest.mark.parametrize("failure", RETRYABLE_FAILURES, ids=lambda e: type(e).__name__)
async def test_spent_budget_raises_a_typed_network_error(
    httpx_mock: HTTPXMock, waits: Waits, failure: Exception
) -> None:
    httpx_mock.add_exception(failure, is_reusable=True)
    client = make(retries=waits.policy(limit=2))
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
    httpx_mock: HTTPXMock, waits: Waits, method: str
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("lost"))
    client = make(retries=waits.policy())
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
    httpx_mock: HTTPXMock, waits: Waits, failure: Exception
) -> None:
    httpx_mock.add_exception(failure)
    client = make(retries=waits.policy())
    with pytest.raises(NetworkError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.__cause__ is failure
    assert waits == []
    await client.close()


async def test_jitter_shortens_the_backoff_by_up_to_a_quarter(
    httpx_mock: HTTPXMock, waits: Waits, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits.jitter = 0.8
    httpx_mock.add_response(status_code=503, is_reusable=True)
    client = make(retries=waits.policy(limit=3, delay=2.0))
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


async def test_retry_after_as_an_http_date(httpx_mock: HTTPXMock, waits: Waits) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    httpx_mock.add_response(status_code=503, headers={"Retry-After": when})
    httpx_mock.add_response(json={})
    client = make(retries=waits.policy())
    await client.request("GET", "/v1/x")
    assert 27 <= waits[0] <= 30
    await client.close()


@pytest.mark.parametrize("header", ["-5", "nan", "inf", "soon", "", "Wed, 21 Oct 2015 07:28:00 GMT"])
async def test_unusable_retry_after_falls_back_to_backoff(httpx_mock: HTTPXMock, waits: Waits, header: str) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": header})
    httpx_mock.add_response(json={})
    client = make(retries=waits.policy())
    await client.request("GET", "/v1/x")
    assert waits == [1.0]
    await client.close()


async def test_retry_after_beyond_the_cap_raises_at_once(httpx_mock: HTTPXMock, waits: Waits) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "3600"}, json={"error": "rate_limited"})
    client = make(retries=waits.policy(max_delay=30))
    with pytest.raises(RateLimitError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.retry_after == 3600
    assert waits == []
    assert len(httpx_mock.get_requests()) == 1
    await client.close()


async def test_max_delay_caps_computed_waits(httpx_mock: HTTPXMock, waits: Waits) -> None:
    httpx_mock.add_response(status_code=502, is_reusable=True)
    client = make(retries=waits.policy(limit=3, delay=10, max_delay=15))
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
