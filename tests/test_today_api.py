"""Today's AuthPI API, added beside 0.3.0: key pairs, whoami, account resolution, the organization scope, the
later operations and filters, deprecations, types, and an emulator that refuses what the live API refuses."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import AuthPIAdmin, ConfigurationError, MalformedResponseError, NotFoundError, ValidationError
from authpi_admin.generated.resources.api_keys import ApiKeysResource
from authpi_admin.testing import Emulator, EmulatorServer

BASE = "https://api.authpi.dev"
PAIR = ("key_live", "sec_live")
BASIC = "Basic " + base64.b64encode(b"key_live:sec_live").decode()
IDENTITY = {
    "type": "api_key",
    "key_id": "key_live",
    "issuer_id": None,
    "accounts": [{"account_id": "acc_1", "org_id": "org_9", "scopes": ["*:**"]}],
    "organizations": [],
}


# ------------------------------------------------------------------------------------- keys and accounts


async def test_a_key_pair_is_sent_as_http_basic(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/accounts/acc_1/issuers", json={"data": [], "has_more": False})
    async with AuthPIAdmin(api_key=PAIR, account_id="acc_1") as admin:
        await admin.issuers.list()
        assert "sec_live" not in repr(admin) + repr(admin.http) + str(vars(admin.http))
    request = httpx_mock.get_request()
    assert request is not None and request.headers["authorization"] == BASIC


def test_a_string_key_keeps_0_3_0s_bearer_form() -> None:
    admin = AuthPIAdmin(api_key="key_old", account_id="acc_1")
    assert admin.http._token.authorization == "Bearer key_old"


@pytest.mark.parametrize(
    "pair", [("", "s"), ("k", ""), ("k",), ("k", "s", "x"), ("k:x", "s"), ("k", "s\n"), ("k", "sé"), (1, "s")]
)
def test_a_bad_key_pair_is_a_configuration_error_that_never_shows_the_secret(pair: tuple[Any, ...]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        AuthPIAdmin(api_key=pair)  # type: ignore[arg-type]
    assert "s\n" not in str(caught.value) and "sé" not in str(caught.value)


async def test_whoami_asks_every_time_and_unwraps_the_answer(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/me", json={"data": IDENTITY}, is_reusable=True)
    async with AuthPIAdmin(api_key=PAIR) as admin:
        assert await admin.whoami() == IDENTITY
        assert await admin.whoami() == IDENTITY
    assert [r.url.path for r in httpx_mock.get_requests()] == ["/v1/me", "/v1/me"]


async def test_without_account_id_the_account_is_found_once_through_v1_me(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/me", json={"data": IDENTITY})
    httpx_mock.add_response(
        url=f"{BASE}/v1/accounts/acc_1/issuers", json={"data": [], "has_more": False}, is_reusable=True
    )
    async with AuthPIAdmin(api_key=PAIR) as admin:
        assert "found through /v1/me" in repr(admin)
        await asyncio.gather(*(admin.issuers.list() for _ in range(20)))  # concurrent first calls share one
        await admin.issuers.list()
    paths = [r.url.path for r in httpx_mock.get_requests()]
    assert paths.count("/v1/me") == 1 and paths.count("/v1/accounts/acc_1/issuers") == 21


async def test_account_id_me_still_sends_0_3_0s_path(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/accounts/me/issuers", json={"data": [], "has_more": False})
    async with AuthPIAdmin(api_key="key_old", account_id="me") as admin:
        await admin.issuers.list()
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ([], r"^The credential has no access to any account: pass account_id=\.\.\. to AuthPIAdmin$"),
        (
            [
                {"account_id": "acc_a1", "org_id": "o", "scopes": []},
                {"account_id": "acc_b2", "org_id": "o", "scopes": []},
            ],
            r"^The credential can act on 2 accounts \(acc_a1, acc_b2\): pass account_id=",
        ),
    ],
)
async def test_no_or_several_accounts_is_a_configuration_error_naming_them(
    httpx_mock: HTTPXMock, accounts: list[Any], message: str
) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/me", json={"data": {**IDENTITY, "accounts": accounts}}, is_reusable=True)
    async with AuthPIAdmin(api_key=PAIR) as admin:
        for _ in range(2):  # a failed lookup is not kept: the next call asks again
            with pytest.raises(ConfigurationError, match=message):
                await admin.issuers.list()
    assert [r.url.path for r in httpx_mock.get_requests()] == ["/v1/me", "/v1/me"]


# ---------------------------------------------------------------------------- the organization scope and more


async def test_the_organization_scope_reaches_its_operations(httpx_mock: HTTPXMock) -> None:
    org = f"{BASE}/v1/accounts/acc_1/issuers/i_1/organizations/org_1"
    httpx_mock.add_response(method="POST", url=f"{org}/groups", status_code=201, json={"data": {"id": "grp_1"}})
    httpx_mock.add_response(method="PATCH", url=org, json={"data": {"id": "org_1"}}, headers={"ETag": '"e2"'})
    httpx_mock.add_response(method="GET", url=f"{org}/members?status=active", json={"data": [], "has_more": False})
    async with AuthPIAdmin(api_key=PAIR, account_id="acc_1") as admin:
        organization = admin.issuer("i_1").organization("org_1")
        assert await organization.groups.create({"name": "Admins"}) == {"id": "grp_1"}
        assert await organization.update({"name": "Acme"}, if_match='"e1"') == {"id": "org_1", "_etag": '"e2"'}
        assert (await organization.members.list(status="active")).data == []
        with pytest.raises(ValueError, match="Invalid org_id"):
            admin.issuer("i_1").organization("../x")
    patch = httpx_mock.get_requests()[1]
    assert (patch.headers["if-match"], json.loads(patch.content)) == ('"e1"', {"name": "Acme"})


async def test_later_filters_are_keyword_only_and_sent(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [], "has_more": False})
    async with AuthPIAdmin(api_key=PAIR, account_id="acc_1") as admin:
        await admin.issuers.list(5, None, q="acme", readiness="ready")
        with pytest.raises(TypeError):
            await admin.issuers.list(5, None, "acme")  # type: ignore[misc]
    request = httpx_mock.get_request()
    assert request is not None and request.url.query == b"limit=5&q=acme&readiness=ready"


def test_split_classes_are_subclasses_of_0_3_0s() -> None:
    admin = AuthPIAdmin(api_key=PAIR, account_id="acc_1")
    assert type(admin.api_keys).__name__ == "AccountApiKeysResource"
    assert isinstance(admin.api_keys, ApiKeysResource)
    assert type(admin.issuer("i_1").api_keys) is ApiKeysResource  # the other mount keeps 0.3.0's class


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("groups", ".organization(org_id).groups"),
        ("invitations", ".organization(org_id).invitations"),
        ("members", ".organization(org_id).members"),
        ("domains", "the account's domains"),
    ],
)
async def test_issuer_level_accessors_warn_and_still_send_0_3_0s_path(
    httpx_mock: HTTPXMock, name: str, replacement: str
) -> None:
    httpx_mock.add_response(json={"data": [], "has_more": False})
    async with AuthPIAdmin(api_key=PAIR, account_id="acc_1") as admin:
        with pytest.warns(DeprecationWarning, match=rf"^IssuerScope\.{name}: the live API answers 404 here; use ") as w:
            resource = getattr(admin.issuer("i_1"), name)
        assert replacement in str(w[0].message)
        assert w[0].filename == __file__  # the caller's line, not functools'
        await resource.list()
    request = httpx_mock.get_request()
    assert request is not None and request.url.path == f"/v1/accounts/acc_1/issuers/i_1/{name}"


def test_types_hold_models_inputs_and_enums_without_loading_pydantic_at_import() -> None:
    code = (
        "import sys, authpi_admin; assert 'pydantic' not in sys.modules; "
        "from authpi_admin import WebhookEventType as E; from authpi_admin import types as t; "
        "assert E.API_KEY_CREATED == 'api-key.created' and len(E) == 106; "
        "assert t.CreateWebhookInput.__required_keys__ >= {'name', 'url'}; "
        "assert t.ApiKeysListItem is t.ApiKeyListItem; "
        "t.Organization.model_validate({'id': 'o', 'issuer_id': 'i', 'status': 'active', 'name': None, "
        "'description': None, 'logo_url': None, 'org_type': 'x', 'created_at': 1}); print(len(t.__all__))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 88


# ------------------------------------------------------------------------------ the emulator, strict mode


@pytest.fixture
def strict() -> Iterator[EmulatorServer]:
    emulator = Emulator(api_keys=["key_live:sec_live"], account_id="acc_live", strict=True)
    with EmulatorServer(emulator) as server:
        yield server


def _valid(model: str, answer: dict[str, Any]) -> None:
    """The answer parses into today's model of that name, as authpi-admin 1.x would parse it."""
    from authpi_admin import types

    getattr(types, model).model_validate({k: v for k, v in answer.items() if k != "_etag"})


async def test_todays_scenario_against_the_strict_emulator(strict: EmulatorServer) -> None:
    async with AuthPIAdmin(api_key=PAIR, base_url=strict.base_url) as admin:
        _valid("CallerIdentity", await admin.whoami())
        issuer = await admin.issuers.create({"name": "Acme"})
        _valid("Issuer", issuer)
        assert issuer["id"].startswith("i_") and issuer["account_id"] == "acc_live"
        org = await admin.issuer(issuer["id"]).organizations.create({"name": "Acme Org"})
        _valid("Organization", org)
        scope = admin.issuer(issuer["id"]).organization(org["id"])
        _valid("Group", await scope.groups.create({"name": "Admins"}))
        users = admin.issuer(issuer["id"]).users
        user = await users.create({"username_type": "email", "username": "a@example.com", "profile": {"n": "A"}})
        _valid("User", user)
        member = await scope.members.create({"user_id": user["id"]})
        _valid("OrganizationMembership", member)
        assert member["member_id"] == user["id"]
        await scope.members.update(user["id"], {"scopes": ["read"]})
        invitation = await scope.invitations.create({"email": "b@example.com"})
        _valid("OrganizationInvitationPublic", invitation)
        assert invitation["email_invited"] == "b@example.com"
        key = await scope.api_keys.create({"name": "ci", "restrictions": {}})
        _valid("CreateApiKeyResponse", key)
        assert key["org_id"] == org["id"] and key["secret_plain"]
        for item in (await scope.api_keys.list()).data:
            _valid("ApiKeyListItem", item)
        for item in (await users.list()).data:
            _valid("IssuerUsersListItem", item)
        fetched = await users.get(user["id"])
        updated = await users.update(user["id"], {"profile": {"n": "B"}}, if_match=fetched["_etag"])
        assert updated["_etag"] != fetched["_etag"]
        with pytest.raises(Exception, match="HTTP 412"):
            await users.update(user["id"], {"profile": {"n": "C"}}, if_match=fetched["_etag"])
        await users.delete(user["id"])
        with pytest.raises(NotFoundError):
            await users.get(user["id"])
        _valid("Organization", await scope.update({"description": "d"}, if_match=(await scope.get())["_etag"]))
        events = [e async for e in admin.events.list_all()]
        for event in events:
            _valid("Event", event.model_dump())
        types = {e.type for e in events}
        assert {"organization.group.created", "organization.membership.created", "api-key.created"} <= types
        from authpi_admin import WebhookEventType

        assert types <= {member.value for member in WebhookEventType}
        await scope.delete()


async def test_the_strict_emulator_refuses_what_the_live_api_refuses(strict: EmulatorServer) -> None:
    async with AuthPIAdmin(api_key=PAIR, base_url=strict.base_url) as admin:
        issuer = await admin.issuers.create({"name": "Acme"})
        with pytest.raises(ValidationError) as caught:
            await admin.issuer(issuer["id"]).users.create({"email": "a@example.com"})
        assert {f["field"] for f in caught.value.fields} == {"username_type", "username"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            groups = admin.issuer(issuer["id"]).groups
        with pytest.raises(NotFoundError, match="No such endpoint"):
            await groups.list()
    async with httpx.AsyncClient(base_url=strict.base_url) as raw:
        bearer = await raw.get("/v1/accounts/acc_live/issuers", headers={"authorization": "Bearer key_live:sec_live"})
        me_alias = await raw.get("/v1/accounts/me/issuers", headers={"authorization": BASIC})
    assert (bearer.status_code, me_alias.status_code) == (401, 404)


async def test_the_lenient_emulator_keeps_0_3_0_payloads_and_derives_todays_fields() -> None:
    emulator = Emulator()
    async with emulator.client(account_id="me") as admin:
        issuer = await admin.issuers.create({"name": "Acme"})
        user = await admin.issuer(issuer["id"]).users.create({"email": "a@example.com", "display_name": "A"})
    assert (user["email"], user["display_name"]) == ("a@example.com", "A")
    assert (user["username_type"], user["username"], user["profile"]) == (
        "email",
        "a@example.com",
        {"display_name": "A"},
    )
    _valid("User", user)


def test_the_cli_serves_a_key_pair_strictly() -> None:
    command = [
        sys.executable,
        "-m",
        "authpi_admin.testing",
        "serve",
        "--port",
        "0",
        "--strict",
        "--api-key",
        "key_live:sec_live",
        "--account-id",
        "acc_live",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            assert process.stdout is not None
            process.stdout.readline()
            base_url = process.stdout.readline().split("base_url:", 1)[1].strip()
            with httpx.Client(base_url=base_url, timeout=10) as client:
                me = client.get("/v1/me", headers={"authorization": BASIC}).json()["data"]
                assert me["accounts"][0]["account_id"] == "acc_live" and me["key_id"] == "key_live"
                wrong = "Basic " + base64.b64encode(b"key_live:nope").decode()
                assert client.get("/v1/me", headers={"authorization": wrong}).status_code == 401
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_importing_the_sdk_loads_no_scope_class_and_the_scope_names_still_import() -> None:
    code = (
        "import sys, authpi_admin; "
        "print(sorted(m for m in sys.modules if m.startswith('authpi_admin.generated.scopes') "
        "or m in ('authpi_admin._resource', 'pydantic'))); "
        "from authpi_admin import AgentScope, IssuerScope, UserScope, WebhookScope; "
        "from authpi_admin.generated.scopes import IssuerScope as Same; print(IssuerScope is Same)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "True"]


async def test_notes_backlinks_and_count_send_todays_query_keys(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"id": "note_1"}]})
    httpx_mock.add_response(json={"data": {"count": 3}})
    async with AuthPIAdmin(api_key=PAIR, account_id="acc_1") as admin:
        assert await admin.notes.backlinks("user", "usr_1", limit=5) == [{"id": "note_1"}]
        assert (await admin.notes.count("org", "org_1"))["count"] == 3
    first, second = httpx_mock.get_requests()
    assert str(first.url) == f"{BASE}/v1/accounts/acc_1/notes/backlinks?ref_type=user&ref_id=usr_1&limit=5"
    assert str(second.url) == f"{BASE}/v1/accounts/acc_1/notes/count?subject_type=org&subject_id=org_1"


async def test_the_strict_emulator_requires_todays_query_keys_and_the_lenient_one_serves_0_3_0s_calls() -> None:
    from authpi_admin import ValidationError
    from authpi_admin.testing import Emulator

    strict = Emulator(strict=True, api_keys=["key_k:sec_k"])
    async with strict.client(api_key="key_k:sec_k", account_id="acc_test") as admin:
        with pytest.raises(ValidationError) as caught:
            await admin.accounts.count_notes("acc_test")
        assert {f["field"] for f in caught.value.fields or []} == {"subject_type", "subject_id"}
        assert (await admin.notes.count("user", "usr_1"))["count"] == 0
    async with Emulator().client(account_id="me") as admin:
        assert (await admin.accounts.count_notes("me"))["count"] == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"data": [], "has_more": False, "invalid_count": 2}, 2),
        ({"data": [], "has_more": False}, None),
        ({"data": [], "has_more": False, "invalid_count": "2"}, None),
        ({"data": [], "has_more": False, "invalid_count": True}, None),
    ],
)
async def test_a_page_reads_invalid_count_from_the_list_body(
    httpx_mock: HTTPXMock, body: dict[str, Any], expected: int | None
) -> None:
    from authpi_admin import Page

    httpx_mock.add_response(json=body)
    async with AuthPIAdmin(api_key=PAIR, account_id="acc_1") as admin:
        page = await admin.issuers.list()
    assert page.invalid_count == expected
    assert page == Page(data=[], has_more=False, next_cursor=None, invalid_count=expected)
    assert page != Page(data=[], has_more=False, next_cursor=None, invalid_count=7)
    assert f"invalid_count={expected!r}" in repr(page)


@pytest.mark.parametrize("account", [{}, {"account_id": None}, {"account_id": 7}, {"account_id": ""}])
async def test_an_identity_without_a_string_account_id_is_malformed_and_nothing_is_sent_for_it(
    httpx_mock: HTTPXMock, account: dict[str, Any]
) -> None:
    identity = {**IDENTITY, "accounts": [{"org_id": "o", "scopes": [], **account}]}
    httpx_mock.add_response(url=f"{BASE}/v1/me", json={"data": identity}, is_reusable=True)
    async with AuthPIAdmin(api_key=PAIR) as admin:
        with pytest.raises(MalformedResponseError, match="without a string 'account_id'"):
            await admin.issuers.list()
    assert [r.url.path for r in httpx_mock.get_requests()] == ["/v1/me"]  # never /v1/accounts/None/...
