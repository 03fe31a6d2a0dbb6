"""The transport: what a request looks like on the wire, and how answers and set-up are read."""

from __future__ import annotations

import logging

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    ConfigurationError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    UnexpectedError,
)
from authpi_admin.http_client import ApiResponse, HttpClient
from authpi_admin.retries import RetryConfig

from .conftest import Waits
from .transport_helpers import BASE, EXPECTED_USER_AGENT, SECRET, connect, make

pytestmark = pytest.mark.usefixtures("wire_path")  # every test on both paths to the wire


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


@pytest.mark.parametrize(
    "timeout", [0, -1, float("nan"), float("inf"), "30", True, httpx.Timeout(-1.0), httpx.Timeout(5.0, read=0)]
)
def test_bad_timeout_is_a_configuration_error(timeout: object) -> None:
    with pytest.raises(ConfigurationError, match="timeout must be a positive number"):
        make(timeout=timeout)
    with pytest.raises(ConfigurationError, match="timeout must be a positive number"):
        connect(account_id="me", api_key=SECRET, timeout=timeout)  # type: ignore[arg-type]


async def test_get_sends_exact_headers_and_returns_body_and_etag(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", url=f"{BASE}/v1/things/1", json={"id": "1"}, headers={"ETag": '"abc"'})
    client = make()
    response = await client.request("GET", "/v1/things/1")
    assert response == ApiResponse({"id": "1"}, '"abc"')
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == EXPECTED_USER_AGENT
    assert "content-type" not in request.headers
    assert request.content == b""
    await client.close()


async def test_body_bytes_are_0_3_0s_and_only_top_level_private_keys_are_dropped(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{BASE}/v1/things", status_code=201, json={"ok": True})
    client = make()
    body = {
        "name": "Ünïcode",
        "_etag": '"v1"',
        "metadata": {"_source": "crm", "kept": [{"_x": 1, "y": 2}, 3]},
    }
    await client.request("POST", "/v1/things", body=body)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["content-type"] == "application/json"
    # json.dumps's defaults: ", " and ": " separators, non-ASCII escaped; nested "_" keys are data
    assert request.content == (
        b'{"name": "\\u00dcn\\u00efcode", "metadata": {"_source": "crm", "kept": [{"_x": 1, "y": 2}, 3]}}'
    )
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
    defaults = {"X-Team": "core", "Authorization": "Bearer stolen", "X-Both": "default", "HOST": "evil"}
    with pytest.warns(UserWarning) as made:  # dropped as 0.3.0 dropped them, but no longer silently
        client = make(default_headers=defaults)
    call = {"x-both": "call", "User-Agent": "spoof", "authorization": "Basic x"}
    with pytest.warns(UserWarning) as called:
        await client.request("GET", "/v1/x", headers=call)
    said = [str(warning.message) for warning in [*made, *called]]
    authorization = (
        "The Authorization header given is ignored: the SDK sends the credential itself. Pass it as "
        'api_key=("key_id", "secret") or access_token="..." instead'
    )
    assert said == [
        authorization,
        "The 'host' header given is ignored: the SDK sets it itself",
        "The 'user-agent' header given is ignored: the SDK sets it itself",
        authorization,
    ]
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["x-team"] == "core"
    assert request.headers["x-both"] == "call"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
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
    assert (caught.value.error, caught.value.error_description, caught.value.reference) == (
        "not_found",
        "No user usr_1",
        "ref_9",
    )
    assert str(caught.value) == "No user usr_1 [HTTP 404; not_found; reference ref_9]"
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


async def test_network_failures_are_logged_by_class(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture, waits: Waits
) -> None:
    httpx_mock.add_exception(httpx.ConnectError(f"could not reach host with {SECRET}"))
    httpx_mock.add_response(json={})
    client = make(retries=waits.policy())
    with caplog.at_level(logging.DEBUG, logger="authpi_admin"):
        await client.request("GET", "/v1/x")
    attempts = [r.getMessage().split(" (")[0] for r in caplog.records if r.levelno == logging.DEBUG]
    assert attempts == ["HttpClient.request: GET /v1/x -> ConnectError", "HttpClient.request: GET /v1/x -> 200"]
    await client.close()


@pytest.mark.parametrize(
    "url",
    ["https://api.authpi.dev", "http://127.0.0.1:8787", "http://127.5.6.7", "http://localhost:9", "http://[::1]:80"],
)
def test_base_urls_that_are_allowed(url: str) -> None:
    assert connect(account_id="me", api_key="k", base_url=url).http.base_url == url


@pytest.mark.parametrize(
    "url", ["http://api.authpi.dev", "http://10.0.0.5", "http://localhost.evil.test", "ftp://x", "api.authpi.dev"]
)
def test_base_urls_that_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        connect(account_id="me", api_key="k", base_url=url)


def test_insecure_http_can_be_allowed_explicitly() -> None:
    admin = connect(account_id="me", api_key="k", base_url="http://internal.proxy:8080", allow_insecure_http=True)
    assert admin.http.base_url == "http://internal.proxy:8080"


async def test_redirects_are_never_followed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=302, headers={"location": "https://evil.example/steal"})
    async with httpx.AsyncClient(follow_redirects=True) as injected:
        admin = connect(account_id="me", api_key=SECRET, http_client=injected)
        with pytest.raises(UnexpectedError) as caught:
            await admin.issuers.list()
    assert caught.value.status_code == 302
    requests = httpx_mock.get_requests()
    assert [r.url.host for r in requests] == ["api.authpi.dev"]


async def test_an_id_too_long_for_a_url_is_a_value_error(httpx_mock: HTTPXMock) -> None:
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(ValueError, match="Cannot build a request URL"):
            await admin.issuers.get("i" * 70_000)
    assert httpx_mock.get_requests() == []


async def test_an_injected_client_keeps_its_own_timeout_unless_one_is_chosen(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [], "has_more": False}, is_reusable=True)
    async with httpx.AsyncClient(timeout=120) as injected:
        async with connect(account_id="me", api_key=SECRET, http_client=injected) as admin:
            await admin.issuers.list()
            await admin.issuers.list(timeout=4)
        async with connect(account_id="me", api_key=SECRET, http_client=injected, timeout=30.0) as chosen:
            await chosen.issuers.list()
        phased = httpx.Timeout(5, read=9)
        async with connect(account_id="me", api_key=SECRET, http_client=injected, timeout=phased) as split:
            await split.issuers.list()
    sent = [request.extensions["timeout"] for request in httpx_mock.get_requests()]
    assert sent[0] == {"connect": 120, "read": 120, "write": 120, "pool": 120}
    assert sent[1] == {"connect": 4, "read": 4, "write": 4, "pool": 4}
    assert sent[2] == {"connect": 30.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    assert sent[3] == {"connect": 5, "read": 9, "write": 5, "pool": 5}


async def test_the_sdks_own_client_sends_the_default_timeout(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [], "has_more": False})
    async with connect(account_id="me", api_key=SECRET) as admin:
        await admin.issuers.list()
    request = httpx_mock.get_request()
    assert request is not None
    assert request.extensions["timeout"] == {"connect": 30.0, "read": 30.0, "write": 30.0, "pool": 30.0}


async def test_empty_if_match_and_idempotency_key_are_left_out(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": "usr_1"})
    async with connect(account_id="me", api_key=SECRET) as admin:
        await admin.issuer("iss_1").users.update("usr_1", {"name": "x"}, if_match="", idempotency_key="")
    request = httpx_mock.get_request()
    assert request is not None
    assert "if-match" not in request.headers
    assert "idempotency-key" not in request.headers


@pytest.mark.parametrize("body", [["a"], "text", 3, ("x",)])
async def test_a_body_that_is_not_an_object_is_refused_before_sending(httpx_mock: HTTPXMock, body: object) -> None:
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(TypeError, match=r"^body must be a dict \(a JSON object\)"):
            await admin.issuer("iss_1").users.create(body)  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []
