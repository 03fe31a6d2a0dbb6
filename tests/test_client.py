"""The facade: configuration, account path, accessors, scopes, closing."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock

import authpi_admin
from authpi_admin import (
    AgentScope,
    AuthPIAdmin,
    ClosedClientError,
    ConfigurationError,
    IssuerScope,
    UserScope,
    WebhookScope,
)
from authpi_admin.generated.resources.users import UsersResource
from authpi_admin.http_client import HttpClient, validate_path_segment

from .conftest import ACCT, BASE


def test_exports_are_exactly_the_public_names() -> None:
    assert set(authpi_admin.__all__) == {
        "AuthPIAdmin",
        "Page",
        "RawResponse",
        "RetryEvent",
        "RetryPolicy",
        "IssuerScope",
        "UserScope",
        "AgentScope",
        "WebhookScope",
        "ApiError",
        "AuthenticationError",
        "BadGatewayError",
        "ClosedClientError",
        "ConfigurationError",
        "ConflictError",
        "ForbiddenError",
        "GatewayTimeoutError",
        "InternalServerError",
        "InvalidTimeoutError",
        "MalformedResponseError",
        "NetworkError",
        "NotFoundError",
        "PreconditionFailedError",
        "RateLimitError",
        "RequestTimeoutError",
        "ServerError",
        "ServiceUnavailableError",
        "UnexpectedError",
        "ValidationError",
        "__version__",
        "error_from_response",  # beyond 0.3.0's list: the package exports all of authpi_admin.errors
        "WebhookEventType",  # today's API: the event types, as 1.x exports them
    }
    assert authpi_admin.__version__ == "0.3.0"
    for name in authpi_admin.__all__:
        assert getattr(authpi_admin, name) is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Either api_key or access_token is required"),
        (
            {"api_key": "k", "access_token": "t", "account_id": "acc_1"},
            "Provide either api_key or access_token, not both",
        ),
        ({"access_token": "t"}, "account_id is required when using access_token"),
    ],
)
def test_configuration_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        AuthPIAdmin(**kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_constructor_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        AuthPIAdmin("key_x")  # type: ignore[misc]


async def test_api_key_addresses_me(admin: AuthPIAdmin, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{ACCT}/issuers", json={"data": [], "has_more": False})
    await admin.issuers.list()


async def test_access_token_addresses_the_account(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/accounts/acc_42/events?limit=50", json={"data": [], "has_more": False})
    async with AuthPIAdmin(access_token="tok_1", account_id="acc_42") as admin:
        await admin.events.list(limit=50)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["authorization"] == "Bearer tok_1"


async def test_api_key_with_account_id(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/accounts/acc_7/tokens", json={"data": [], "has_more": False})
    async with AuthPIAdmin(api_key="key_1", account_id="acc_7") as admin:
        await admin.tokens.list()


def test_bad_account_id_is_refused() -> None:
    with pytest.raises(ValueError, match="Invalid account_id"):
        AuthPIAdmin(access_token="t", account_id="../other")


async def test_base_url_and_trailing_slash(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="https://eu.authpi.test/v1/accounts/me/webhooks", json={"data": [], "has_more": False})
    async with AuthPIAdmin(account_id="me", api_key="k", base_url="https://eu.authpi.test/") as admin:
        await admin.webhooks.list()


def test_http_is_the_transport() -> None:
    admin = AuthPIAdmin(account_id="me", api_key="key_secret")
    assert isinstance(admin.http, HttpClient)
    assert admin.http.base_url == "https://api.authpi.dev"
    assert "key_secret" not in repr(admin)


def test_accessors_are_cached_and_scopes_are_new() -> None:
    admin = AuthPIAdmin(account_id="me", api_key="k")
    assert admin.issuers is admin.issuers
    first, second = admin.issuer("iss_1"), admin.issuer("iss_1")
    assert isinstance(first, IssuerScope)
    assert first is not second
    assert first.users is first.users
    assert isinstance(first.users, UsersResource)
    assert first.users.base_path == "/v1/accounts/me/issuers/iss_1/users"
    assert isinstance(first.user("usr_1"), UserScope)
    assert first.user("usr_1").trusted_devices.base_path == "/v1/accounts/me/issuers/iss_1/users/usr_1/trusted-devices"
    assert isinstance(first.agent("ag_1"), AgentScope)
    assert first.agent("ag_1").verifiers.base_path == "/v1/accounts/me/issuers/iss_1/agents/ag_1/verifiers"
    assert isinstance(admin.webhook("wh_1"), WebhookScope)
    assert admin.webhook("wh_1").deliveries.base_path == "/v1/accounts/me/webhooks/wh_1/deliveries"
    assert admin.accounts.base_path == "/v1/accounts"
    assert first.issuer_id == "iss_1"


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "a\\b", "a?b", "a#b"])
def test_scopes_validate_their_id_on_construction(bad: str) -> None:
    admin = AuthPIAdmin(account_id="me", api_key="k")
    with pytest.raises(ValueError, match=r"^Invalid issuer_id: must not be empty or contain path separators$"):
        admin.issuer(bad)
    with pytest.raises(ValueError, match="Invalid user_id"):
        admin.issuer("iss_1").user(bad)
    with pytest.raises(ValueError, match="Invalid agent_id"):
        admin.issuer("iss_1").agent(bad)
    with pytest.raises(ValueError, match="Invalid webhook_id"):
        admin.webhook(bad)


@pytest.mark.parametrize("good", ["usr_1", "a.b", "...", "me", "ünï", "a b", "a:b"])
def test_validate_path_segment_accepts(good: str) -> None:
    assert validate_path_segment(good) == good


@pytest.mark.parametrize("bad", ["", ".", "..", "/", "a/b", "a\\b", "a?b", "a#b", "../api-keys/key_1"])
def test_validate_path_segment_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^Invalid id: must not be empty or contain path separators$"):
        validate_path_segment(bad)
    with pytest.raises(ValueError, match=r"^Invalid user_id: "):
        validate_path_segment(bad, "user_id")


async def test_resource_ids_are_validated_before_sending(admin: AuthPIAdmin, httpx_mock: HTTPXMock) -> None:
    users = admin.issuer("iss_1").users
    with pytest.raises(ValueError, match="Invalid resource_id"):
        await users.get("../api-keys/key_1")
    with pytest.raises(ValueError, match="Invalid group_id"):
        await admin.issuer("iss_1").groups.get("org_1", "")
    with pytest.raises(ValueError, match="Invalid domain"):
        await admin.domains.delete("a/b")
    assert httpx_mock.get_requests() == []


async def test_context_manager_closes(httpx_mock: HTTPXMock) -> None:
    async with AuthPIAdmin(account_id="me", api_key="k") as admin:
        pass
    assert admin.http.is_closed
    with pytest.raises(ClosedClientError):
        await admin.issuers.list()


async def test_manual_close_leaves_an_injected_client_open(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [], "has_more": False})
    async with httpx.AsyncClient() as injected:
        admin = AuthPIAdmin(account_id="me", api_key="k", http_client=injected)
        try:
            await admin.issuers.list()
        finally:
            await admin.close()
        assert not injected.is_closed
