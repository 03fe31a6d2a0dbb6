"""The transport: headers, bodies, queries, retries, token refresh, closing."""

from __future__ import annotations

import asyncio
import json
import platform
import sys

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    AuthenticationError,
    BadGatewayError,
    ClosedClientError,
    ConfigurationError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
)
from authpi_admin.http_client import ApiResponse, HttpClient, RetryConfig

BASE = "https://api.example.test"

EXPECTED_USER_AGENT = (
    f"authpi-admin-py/0.3.0 Python/{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro} "
    f"({platform.system().lower()}; {platform.machine().lower()})"
)


def make(**kwargs: object) -> HttpClient:
    options: dict[str, object] = {"api_key": "key_secret"}
    options.update(kwargs)
    return HttpClient(BASE, **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------- construction


def test_requires_a_credential() -> None:
    with pytest.raises(ConfigurationError, match=r"^Either api_key or access_token is required$"):
        HttpClient(BASE)


def test_refuses_two_credentials() -> None:
    with pytest.raises(ConfigurationError, match=r"^Provide either api_key or access_token, not both$"):
        HttpClient(BASE, api_key="a", access_token="b")


def test_configuration_error_is_a_plain_exception() -> None:
    assert ConfigurationError.__mro__[1] is Exception


def test_repr_shows_base_url_and_never_the_credential() -> None:
    client = HttpClient(BASE + "/", api_key="key_very_secret")
    assert repr(client) == "HttpClient(base_url='https://api.example.test')"
    assert "key_very_secret" not in repr(client)


@pytest.mark.parametrize(
    ("retries", "expected"),
    [
        (None, RetryConfig(3, 1.0, "exponential")),
        (True, RetryConfig(3, 1.0, "exponential")),
        (False, None),
        ({"limit": 5, "delay": 0.5, "backoff": "linear"}, RetryConfig(5, 0.5, "linear")),
        ({"limit": 1}, RetryConfig(1, 1.0, "exponential")),
    ],
)
def test_retry_option(retries: object, expected: RetryConfig | None) -> None:
    assert RetryConfig.from_option(retries) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("retries", "message"),
    [
        ({"limit": -1}, "limit"),
        ({"limit": 1.5}, "limit"),
        ({"delay": -0.1}, "delay"),
        ({"backoff": "fibonacci"}, "backoff"),
        ({"tries": 3}, "Unknown retries option"),
        ("yes", "retries must be"),
    ],
)
def test_bad_retry_option_is_refused(retries: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make(retries=retries)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "30", True])
def test_bad_timeout_is_refused(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        make(timeout=timeout)


# ------------------------------------------------------------------------------------------ the wire


async def test_get_sends_exact_headers_and_returns_body_and_etag(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", url=f"{BASE}/v1/things/1", json={"id": "1"}, headers={"ETag": '"abc"'})
    client = make()
    response = await client.request("GET", "/v1/things/1")
    assert response == ApiResponse({"id": "1"}, '"abc"')
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["authorization"] == "Bearer key_secret"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == EXPECTED_USER_AGENT
    assert "content-type" not in request.headers
    assert request.content == b""
    await client.close()


async def test_body_is_json_without_private_keys_at_any_depth(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{BASE}/v1/things", status_code=201, json={"ok": True})
    client = make()
    body = {
        "name": "Ünïcode",
        "_etag": '"v1"',
        "nested": {"_private": 1, "kept": [{"_x": 1, "y": 2}, 3]},
        "list": [{"_a": 0}],
    }
    await client.request("POST", "/v1/things", body=body)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"name": "Ünïcode", "nested": {"kept": [{"y": 2}, 3]}, "list": [{}]}
    assert body["_etag"] == '"v1"'  # the caller's object is left as it was
    await client.close()


async def test_unserialisable_body_fails_before_sending(httpx_mock: HTTPXMock) -> None:
    client = make()
    with pytest.raises(TypeError):
        await client.request("POST", "/v1/things", body={"when": object()})
    with pytest.raises(ValueError):
        await client.request("POST", "/v1/things", body={"n": float("nan")})
    assert httpx_mock.get_requests() == []
    await client.close()


async def test_query_drops_none_and_keeps_order(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/list?limit=5&pinned=true&after=1.5", json={"data": []})
    client = make()
    await client.request(
        "GET", "/v1/list", query={"limit": 5, "cursor": None, "pinned": True, "after": 1.5, "status": None}
    )
    await client.close()


async def test_default_and_call_headers_layer_but_cannot_replace_reserved_ones(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={})
    client = make(
        default_headers={
            "X-Team": "core",
            "Authorization": "Bearer stolen",
            "X-Both": "default",
            "HOST": "evil",
        }
    )
    await client.request("GET", "/v1/x", headers={"x-both": "call", "User-Agent": "spoof", "authorization": "Basic x"})
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["x-team"] == "core"
    assert request.headers["x-both"] == "call"
    assert request.headers["authorization"] == "Bearer key_secret"
    assert request.headers["user-agent"] == EXPECTED_USER_AGENT
    assert request.headers["host"] == "api.example.test"
    await client.close()


async def test_no_content_is_none(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="DELETE", status_code=204)
    client = make()
    assert await client.request("DELETE", "/v1/x/1") == ApiResponse(None, None)
    await client.close()


async def test_per_call_timeout_overrides_the_default(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={}, is_reusable=True)
    client = make(timeout=12.5)
    await client.request("GET", "/v1/a")
    await client.request("GET", "/v1/b", timeout=2.0)
    first, second = httpx_mock.get_requests()
    assert first.extensions["timeout"] == {"connect": 12.5, "read": 12.5, "write": 12.5, "pool": 12.5}
    assert second.extensions["timeout"] == {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}
    with pytest.raises(ValueError, match="timeout"):
        await client.request("GET", "/v1/c", timeout=0)
    await client.close()


async def test_success_body_that_is_not_json_is_a_typed_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, text="<html>oops</html>")
    client = make()
    with pytest.raises(MalformedResponseError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.status_code == 200
    assert caught.value.raw_body == "<html>oops</html>"
    await client.close()


async def test_error_body_is_mapped(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=404,
        json={"error": "not_found", "error_description": "No user usr_1", "reference": "ref_9"},
    )
    client = make()
    with pytest.raises(NotFoundError) as caught:
        await client.request("GET", "/v1/users/usr_1")
    assert (caught.value.error, str(caught.value), caught.value.reference) == (
        "not_found",
        "No user usr_1",
        "ref_9",
    )
    assert caught.value.raw_body is None
    await client.close()


async def test_error_body_that_is_not_json_keeps_its_text(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=500, text="x" * 5000)
    client = make()
    with pytest.raises(InternalServerError) as caught:
        await client.request("POST", "/v1/x")
    assert caught.value.raw_body == "x" * 4096
    assert caught.value.error == "unknown"
    assert caught.value.error_description == "Internal Server Error"
    await client.close()


# -------------------------------------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_reads_are_retried_with_exponential_backoff(
    httpx_mock: HTTPXMock, waits: list[float], status: int, method: str
) -> None:
    for _ in range(3):
        httpx_mock.add_response(method=method, status_code=status)
    httpx_mock.add_response(method=method, json={"ok": 1})
    client = make()
    assert (await client.request(method, "/v1/x")).data == {"ok": 1}
    assert waits == [1.0, 2.0, 4.0]
    assert len(httpx_mock.get_requests()) == 4
    await client.close()


async def test_limit_plus_one_attempts_then_the_error(httpx_mock: HTTPXMock, waits: list[float]) -> None:
    httpx_mock.add_response(status_code=503, is_reusable=True)
    client = make(retries={"limit": 2, "delay": 0.5, "backoff": "linear"})
    with pytest.raises(ServiceUnavailableError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.retryable is True
    assert len(httpx_mock.get_requests()) == 3
    assert waits == [0.5, 1.0]
    await client.close()


async def test_numeric_retry_after_replaces_the_computed_wait(httpx_mock: HTTPXMock, waits: list[float]) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "0.25"})
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "soon"})
    httpx_mock.add_response(json={})
    client = make()
    await client.request("GET", "/v1/x")
    assert waits == [7.0, 0.25, 4.0]
    await client.close()


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT"])
async def test_mutations_are_never_retried(httpx_mock: HTTPXMock, waits: list[float], method: str) -> None:
    httpx_mock.add_response(status_code=503)
    client = make()
    with pytest.raises(ServiceUnavailableError):
        await client.request(method, "/v1/x", body={"a": 1})
    assert len(httpx_mock.get_requests()) == 1
    assert waits == []
    await client.close()


@pytest.mark.parametrize("status", [500, 501, 400, 404, 408])
async def test_other_statuses_are_not_retried(httpx_mock: HTTPXMock, waits: list[float], status: int) -> None:
    httpx_mock.add_response(status_code=status)
    client = make()
    with pytest.raises(Exception):  # noqa: B017 - the class is checked by the error mapping tests
        await client.request("GET", "/v1/x")
    assert len(httpx_mock.get_requests()) == 1
    await client.close()


async def test_retries_disabled(httpx_mock: HTTPXMock, waits: list[float]) -> None:
    httpx_mock.add_response(status_code=502)
    client = make(retries=False)
    with pytest.raises(BadGatewayError):
        await client.request("GET", "/v1/x")
    assert waits == []
    await client.close()


async def test_rate_limit_error_after_retries_carries_retry_after(httpx_mock: HTTPXMock, waits: list[float]) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "3"}, is_reusable=True)
    client = make(retries={"limit": 1})
    with pytest.raises(RateLimitError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.retry_after == 3
    assert waits == [3.0]
    await client.close()


# -------------------------------------------------------------------------------------- token refresh


async def test_401_refreshes_once_and_resends_with_the_new_token(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, match_headers={"authorization": "Bearer old"})
    httpx_mock.add_response(json={"ok": True}, match_headers={"authorization": "Bearer new"}, is_reusable=True)
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        return {"access_token": "new"}

    client = HttpClient(BASE, access_token="old", on_token_expired=refresh)
    assert (await client.request("POST", "/v1/x", body={"a": 1})).data == {"ok": True}
    assert calls == 1
    await client.request("GET", "/v1/y")  # the new token stays in use
    assert [r.headers["authorization"] for r in httpx_mock.get_requests()] == [
        "Bearer old",
        "Bearer new",
        "Bearer new",
    ]
    await client.close()


async def test_second_401_after_refresh_is_an_authentication_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, json={"error": "invalid_token"}, is_reusable=True)

    async def refresh() -> dict[str, str]:
        return {"access_token": "still-bad"}

    client = HttpClient(BASE, access_token="old", on_token_expired=refresh)
    with pytest.raises(AuthenticationError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.error == "invalid_token"
    assert len(httpx_mock.get_requests()) == 2
    await client.close()


async def test_401_without_callback_is_an_authentication_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401)
    client = make()
    with pytest.raises(AuthenticationError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.retryable is False
    await client.close()


async def test_concurrent_401s_share_one_refresh(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, match_headers={"authorization": "Bearer old"}, is_reusable=True)
    httpx_mock.add_response(json={}, match_headers={"authorization": "Bearer new"}, is_reusable=True)
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return {"access_token": "new"}

    client = HttpClient(BASE, access_token="old", on_token_expired=refresh)
    await asyncio.gather(*(client.request("GET", f"/v1/x/{i}") for i in range(20)))
    assert calls == 1
    await client.close()


async def test_refresh_result_without_a_token_is_a_clear_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401)

    async def refresh() -> dict[str, str]:
        return {"token": "misnamed"}

    client = HttpClient(BASE, access_token="old", on_token_expired=refresh)
    with pytest.raises(AuthenticationError, match="access_token"):
        await client.request("GET", "/v1/x")
    await client.close()


# -------------------------------------------------------------------------------------------- closing


async def test_closed_client_refuses_requests(httpx_mock: HTTPXMock) -> None:
    client = make()
    await client.close()
    await client.close()  # closing twice is harmless
    with pytest.raises(ClosedClientError) as caught:
        await client.request("GET", "/v1/x")
    error = caught.value
    assert (error.error, error.status_code, str(error)) == (
        "closed_client",
        0,
        "Cannot make requests after the client has been closed",
    )
    assert httpx_mock.get_requests() == []


async def test_injected_client_is_used_and_left_open(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"ok": 1})
    async with httpx.AsyncClient(base_url="https://ignored.test", headers={"x-from-injected": "1"}) as injected:
        client = make(http_client=injected)
        await client.request("GET", "/v1/x")
        await client.close()
        assert not injected.is_closed
        request = httpx_mock.get_request()
        assert request is not None
        assert str(request.url) == f"{BASE}/v1/x"
        assert request.headers["x-from-injected"] == "1"
        with pytest.raises(ClosedClientError):
            await client.request("GET", "/v1/x")


async def test_injected_client_closed_elsewhere_is_a_closed_client_error() -> None:
    injected = httpx.AsyncClient()
    client = make(http_client=injected)
    await injected.aclose()
    with pytest.raises(ClosedClientError):
        await client.request("GET", "/v1/x")


async def test_owned_client_is_closed() -> None:
    client = make()
    await client.close()
    assert client.is_closed
    assert client._http.is_closed


async def test_url_cache_is_bounded_and_skips_cursors(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={}, is_reusable=True)
    client = make()
    for n in range(300):
        await client.request("GET", f"/v1/things/{n}")
    assert 0 < len(client._urls) <= 256
    client._urls.clear()
    await client.request("GET", "/v1/list", query={"limit": 5, "cursor": "c1"})
    await client.request("GET", "/v1/list", query={"limit": 5, "cursor": None})
    assert list(client._urls) == ["/v1/list?limit=5"]
    assert [str(r.url) for r in httpx_mock.get_requests()[-2:]] == [
        f"{BASE}/v1/list?limit=5&cursor=c1",
        f"{BASE}/v1/list?limit=5",
    ]
    await client.close()
