"""End to end over a real socket: the SDK against the emulator served by uvicorn on 127.0.0.1.

One scenario per resource family (create, read with ETag, conditional update, stale update refused,
pages by hand and by list_all, an action, delete, gone), then token refresh, idempotent replay and
retries through injected faults.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from authpi_admin import (
    AuthenticationError,
    AuthPIAdmin,
    ConflictError,
    MalformedResponseError,
    NotFoundError,
    PreconditionFailedError,
    ServiceUnavailableError,
)
from authpi_admin.testing import EmulatorServer

_unique = itertools.count()


@dataclass
class World:
    """Ids made for one test on the shared server."""

    server: EmulatorServer
    issuer: str
    user: str
    agent: str
    org: str

    @property
    def emulator(self) -> Any:
        return self.server.emulator


@pytest.fixture
async def admin(authpi_server: EmulatorServer) -> AsyncIterator[AuthPIAdmin]:
    async with AuthPIAdmin(api_key="key_test", base_url=authpi_server.base_url, retries={"delay": 0.01}) as client:
        yield client


@pytest.fixture
async def world(admin: AuthPIAdmin, authpi_server: EmulatorServer) -> World:
    n = next(_unique)
    issuer = await admin.issuers.create({"name": f"E2E {n}"})
    scope = admin.issuer(issuer["id"])
    user = await scope.users.create({"email": f"owner{n}@example.com"})
    agent = await scope.agents.create({"name": "agent"})
    org = await scope.organizations.create({"name": "Org", "sso_enabled": True})
    return World(authpi_server, issuer["id"], user["id"], agent["id"], org["id"])


Body = Callable[[World, int], dict[str, Any]]
Action = Callable[[AuthPIAdmin, World, dict[str, Any]], Awaitable[None]]


@dataclass
class Family:
    """How to run the scenario on one resource family."""

    name: str
    resource: Callable[[AuthPIAdmin, World], Any]
    body: Body | None  # None: objects are seeded (the API has no create)
    seed: Callable[[World, int], dict[str, Any]] | None = None
    ids: Callable[[dict[str, Any]], tuple[str, ...]] = lambda obj: (obj["id"],)
    # the id of what a create made, as lists show it (a domain's create answers the account)
    made_id: Callable[[dict[str, Any]], str] = lambda obj: str(obj["id"])
    update: dict[str, Any] | None = None
    action: Action | None = None
    readable: bool = True
    deletable: bool = True


async def _rotate_client(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    rotated = await admin.issuer(world.issuer).clients.rotate_secret(obj["id"])
    assert rotated["secret"] != obj.get("secret")
    assert rotated["secret_rotated_at"] is not None


async def _sso_domain(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    added = await admin.issuer(world.issuer).organizations.domains_sso(obj["id"], {"domain": "sso.example.com"})
    assert (added["domain"], added["txt_record_name"]) == ("sso.example.com", "_authpi-verification.sso.example.com")
    organization = admin.issuer(world.issuer).organization(obj["id"])
    assert (await organization.get())["sso"]["domains"] == ["sso.example.com"]
    assert (await organization.sso.verify_domain("sso.example.com"))["verified"] is True
    assert (await organization.sso.remove_domain("SSO.example.com"))["deleted"] is True
    assert (await organization.get())["sso"]["domains"] == []
    with pytest.raises(NotFoundError):
        await organization.sso.verify_domain("sso.example.com")
    await admin.issuer(world.issuer).organizations.domains_sso(obj["id"], {"domain": "sso.example.com"})
    with pytest.raises(ConflictError):
        await admin.issuer(world.issuer).organizations.domains_sso(obj["id"], {"domain": "SSO.example.com"})


async def _webhook_scope(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    scope = admin.webhook(obj["id"])
    read = await scope.get()
    updated = await scope.update({"description": "scoped"}, if_match=read["_etag"])
    assert updated["description"] == "scoped"
    await admin.issuer(world.issuer).users.create({"email": f"hooked{next(_unique)}@example.com"})
    deliveries = await scope.deliveries.list(event_type="user.created")
    assert [d["event_type"] for d in deliveries.data] == ["user.created"]


async def _count_notes(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    assert (await admin.accounts.count_notes("me"))["count"] >= 5  # 0.3.0's call: every note
    about_the_user = await admin.notes.count("user", world.user)
    assert about_the_user["count"] >= 5
    assert (await admin.notes.count("user", "usr_nobody"))["count"] == 0
    # the emulator records a note's subject among its references (see the emulator's docs)
    backlinks = await admin.notes.backlinks("user", world.user, limit=100)
    assert len(backlinks) == about_the_user["count"]
    assert all(note["subject_id"] == world.user for note in backlinks)
    assert await admin.notes.backlinks("client", "cli_nobody") == []
    # 0.3.0 read the answer as one Note; today's API answers a list, which it cannot parse
    with pytest.raises(MalformedResponseError, match="not a valid Note"):
        await admin.accounts.backlinks_notes("me")


async def _resend_invitation(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    invitations = admin.issuer(world.issuer).invitations
    assert (await invitations.resend(obj["id"]))["sent_count"] == 2
    assert (await invitations.revoke(obj["id"]))["status"] == "revoked"
    with pytest.raises(ConflictError):
        await invitations.resend(obj["id"])


def _domain_of(account: dict[str, Any], host: str) -> dict[str, Any]:
    """The entry for ``host`` in an account's ``domains`` (today's API answers domain calls with the account)."""
    (found,) = [d for d in account["domains"] if d["host"] == host]
    return found


async def _verify_domain(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    host = obj["domains"][-1]["host"]
    assert _domain_of(await admin.domains.verify(host), host)["verified"] is True
    assigned = _domain_of(await admin.domains.assign(host, {"issuer_id": world.issuer}), host)
    assert assigned["assigned_issuer_id"] == world.issuer
    assert [d["host"] for d in (await admin.issuer(world.issuer).domains.list()).data] == [host]


async def _block_key(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    keys = admin.issuer(world.issuer).api_keys
    assert (await keys.block(obj["id"], {"reason": "test"}))["status"] == "blocked"
    assert (await keys.unblock(obj["id"]))["status"] == "active"
    assert (await admin.api_keys.rotate(obj["id"]))["secret"]["value"].startswith("sk_")


async def _suspend_session(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    sessions = admin.issuer(world.issuer).user(world.user).sessions
    assert (await sessions.suspend(obj["id"]))["status"] == "suspended"
    assert (await admin.issuer(world.issuer).sessions.reactivate(obj["id"]))["status"] == "active"
    assert (await sessions.revoke(obj["id"], {"reason": "done"}))["revoked_reason"] == "done"


async def _enroll_verifiers(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    done = await admin.issuer(world.issuer).users.complete_enrollment_verifiers(world.user, {"verifier_id": obj["id"]})
    assert done["completed"] == [obj["id"]]


async def _revoke_devices(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    devices = admin.issuer(world.issuer).user(world.user).trusted_devices
    assert await devices.delete(obj["id"]) is None
    result = await admin.issuer(world.issuer).users.revoke_all_trusted_devices(world.user)
    assert result["revoked"] == 4
    assert (await devices.list()).data == []
    with pytest.raises(NotFoundError):
        await devices.delete(obj["id"])


async def _issuer_scope(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    scope = admin.issuer(obj["id"])
    read = await scope.get()
    assert (await scope.update({"description": "via scope"}, if_match=read["_etag"]))["description"] == "via scope"
    with pytest.raises(PreconditionFailedError):
        await scope.update({"description": "stale"}, if_match=read["_etag"])


async def _approve(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    approved = await admin.issuer(world.issuer).approvals.update(obj["id"], {"status": "approved"})
    assert approved["status"] == "approved"


async def _agent_verifier(admin: AuthPIAdmin, world: World, obj: dict[str, Any]) -> None:
    verifiers = admin.issuer(world.issuer).agent(obj["id"]).verifiers
    created = await verifiers.create({"type": "public_key"})
    assert [v["id"] for v in (await verifiers.list()).data] == [created["id"]]
    await verifiers.delete(created["id"])


FAMILIES = [
    Family(
        "issuers",
        lambda a, w: a.issuers,
        lambda w, n: {"name": f"Issuer {n}"},
        update={"name": "Renamed"},
        action=_issuer_scope,
    ),
    Family(
        "users",
        lambda a, w: a.issuer(w.issuer).users,
        lambda w, n: {"email": f"user{n}-{next(_unique)}@example.com"},
        update={"display_name": "Updated"},
    ),
    Family(
        "agents",
        lambda a, w: a.issuer(w.issuer).agents,
        lambda w, n: {"name": f"bot{n}", "model": "m-1"},
        update={"description": "x"},
        action=_agent_verifier,
    ),
    Family(
        "clients",
        lambda a, w: a.issuer(w.issuer).clients,
        lambda w, n: {"name": f"app{n}", "type": "web"},
        update={"logo_url": "https://logo"},
        action=_rotate_client,
    ),
    Family(
        "organizations",
        lambda a, w: a.issuer(w.issuer).organizations,
        lambda w, n: {"name": f"org{n}"},
        update={"mfa_required": True},
        action=_sso_domain,
    ),
    Family(
        "groups",
        lambda a, w: a.issuer(w.issuer).groups,
        lambda w, n: {"org_id": w.org, "name": f"group{n}"},
        ids=lambda obj: (obj["org_id"], obj["id"]),
        update={"description": "grouped"},
    ),
    Family(
        "invitations",
        lambda a, w: a.issuer(w.issuer).invitations,
        lambda w, n: {"org_id": w.org, "email": f"inv{n}@example.com"},
        ids=lambda obj: (obj["org_id"], obj["id"]),
        update={"role": "admin"},
        action=_resend_invitation,
        deletable=False,
    ),
    Family(
        "members",
        lambda a, w: a.issuer(w.issuer).members,
        lambda w, n: {
            "org_id": w.org,
            "user_id": w.emulator.seed(
                f"/v1/accounts/me/issuers/{w.issuer}/users", {"email": f"member{n}@example.com"}
            )["id"],
        },
        ids=lambda obj: (obj["org_id"], obj["id"]),
        update={"role": "owner"},
        readable=False,
    ),
    Family(
        "auth methods",
        lambda a, w: a.issuer(w.issuer).auth_methods,
        lambda w, n: {"type": "password", "name": f"pw{n}"},
        update={"enabled": False},
    ),
    Family(
        "webhooks",
        lambda a, w: a.webhooks,
        lambda w, n: {"name": f"hook{n}", "url": "https://h.example.com", "auth": {}, "events": ["user.created"]},
        update={"name": "renamed"},
        action=_webhook_scope,
    ),
    Family(
        "notes",
        lambda a, w: a.notes,
        lambda w, n: {"subject_type": "user", "subject_id": w.user, "content": f"note {n}"},
        update={"pinned": True},
        action=_count_notes,
    ),
    Family(
        "domains",
        lambda a, w: a.domains,
        lambda w, n: {"domain": f"d{n}-{next(_unique)}.example.com"},
        ids=lambda obj: (obj["domains"][-1]["host"],),  # a domain call answers the account
        made_id=lambda obj: str(obj["domains"][-1]["id"]),
        action=_verify_domain,
        readable=False,
    ),
    Family(
        "api keys",
        lambda a, w: a.issuer(w.issuer).api_keys,
        None,
        seed=lambda w, n: w.emulator.add_api_key(w.issuer, name=f"key{n}"),
        update={"name": "renamed key"},
        action=_block_key,
    ),
    Family(
        "sessions",
        lambda a, w: a.issuer(w.issuer).sessions,
        None,
        seed=lambda w, n: w.emulator.add_session(w.issuer, w.user),
        action=_suspend_session,
        deletable=False,
    ),
    Family(
        "approvals",
        lambda a, w: a.issuer(w.issuer).approvals,
        None,
        seed=lambda w, n: w.emulator.add_approval(w.issuer),
        update={"status": "rejected"},
        action=_approve,
        deletable=False,
    ),
    Family(
        "tokens",
        lambda a, w: a.issuer(w.issuer).user(w.user).tokens,
        lambda w, n: {"name": f"pat{n}"},
        readable=False,
        deletable=False,
    ),
    Family(
        "trusted devices",
        lambda a, w: a.issuer(w.issuer).user(w.user).trusted_devices,
        lambda w, n: {"fingerprint": f"fp{n}"},
        readable=False,
        deletable=False,  # the action deletes one, then revokes the rest
        action=_revoke_devices,
    ),
    Family(
        "verifiers",
        lambda a, w: a.issuer(w.issuer).user(w.user).verifiers,
        lambda w, n: {"type": "totp"},
        readable=False,
        action=_enroll_verifiers,
    ),
]


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
async def test_family_scenario(admin: AuthPIAdmin, world: World, family: Family) -> None:
    resource = family.resource(admin, world)
    made: list[dict[str, Any]] = []
    for n in range(5):
        if family.body is not None:
            made.append(await resource.create(family.body(world, n)))
        else:
            assert family.seed is not None
            made.append(family.seed(world, n))
    first = made[0]
    ids = family.ids(first)

    etag = first.get("_etag")
    if family.readable:
        read = await resource.get(*ids)
        assert {k: v for k, v in read.items() if k != "_etag"} == {k: v for k, v in first.items() if k != "_etag"}
        etag = read["_etag"]
        assert etag
    if family.update is not None:
        assert etag is not None
        updated = await resource.update(*ids, family.update, if_match=etag)
        assert all(updated[k] == v for k, v in family.update.items())
        assert updated["_etag"] != etag
        with pytest.raises(PreconditionFailedError) as stale:
            await resource.update(*ids, family.update, if_match=etag)
        assert stale.value.current_etag == updated["_etag"]

    if hasattr(resource, "list"):
        paged = "limit" in inspect.signature(resource.list).parameters
        page = await resource.list(limit=2) if paged else await resource.list()
        everything = [item async for item in (resource.list_all(limit=2) if paged else resource.list_all())]
        listed = {item["id"] if isinstance(item, dict) else item.id for item in everything}
        assert {family.made_id(obj) for obj in made} <= listed
        if paged:
            assert page.has_more
            assert len(page.data) == 2

    if family.action is not None:
        await family.action(admin, world, first)

    if family.deletable:
        assert await resource.delete(*ids) is None
        with pytest.raises(NotFoundError):
            await (resource.get(*ids) if family.readable else resource.delete(*ids))


async def test_token_refresh_on_expiry(authpi_server: EmulatorServer) -> None:
    emulator = authpi_server.emulator
    token = emulator.issue_token()
    refreshes = 0

    async def refresh() -> dict[str, str]:
        nonlocal refreshes
        refreshes += 1
        return {"access_token": emulator.issue_token()}

    async with AuthPIAdmin(
        access_token=token, account_id="acc_test", base_url=authpi_server.base_url, on_token_expired=refresh
    ) as admin:
        await admin.issuers.list()
        emulator.expire_token(token)
        results = await asyncio.gather(*(admin.issuers.list(limit=1) for _ in range(20)))
        assert len(results) == 20
        assert refreshes == 1
        await admin.issuers.create({"name": "after refresh"})
        assert refreshes == 1

    async with AuthPIAdmin(access_token=token, account_id="acc_test", base_url=authpi_server.base_url) as stale:
        with pytest.raises(AuthenticationError) as caught:
            await stale.issuers.list()
        assert caught.value.error == "token_expired"


async def test_idempotent_replay(admin: AuthPIAdmin, world: World) -> None:
    users = admin.issuer(world.issuer).users
    writes_before = len(world.emulator.writes)
    body = {"email": f"once{next(_unique)}@example.com"}
    first = await users.create(body, idempotency_key=f"signup-{world.issuer}")
    second = await users.create(body, idempotency_key=f"signup-{world.issuer}")
    assert first == second
    assert len(world.emulator.writes) == writes_before + 1
    with pytest.raises(ConflictError) as reused:
        await users.create({"email": "else@example.com"}, idempotency_key=f"signup-{world.issuer}")
    assert reused.value.error == "idempotency_key_reused"


async def test_retries_through_injected_503_and_429(admin: AuthPIAdmin, world: World) -> None:
    route = f"/v1/accounts/*/issuers/{world.issuer}/users"
    emulator = world.emulator
    before = emulator.request_count
    emulator.faults.add(status=503, times=2, route=f"GET {route}")
    emulator.faults.add(status=429, retry_after=0, times=1, route=f"GET {route}")
    page = await admin.issuer(world.issuer).users.list()
    assert [u["id"] for u in page.data] == [world.user]
    assert emulator.request_count == before + 1  # faults answer before the API counts a request

    emulator.faults.add(status=503, times=10, route=f"GET {route}")
    with pytest.raises(ServiceUnavailableError):
        await admin.issuer(world.issuer).users.list()
    emulator.faults.clear()

    emulator.faults.add(status=503, times=1, route=f"POST {route}")
    with pytest.raises(ServiceUnavailableError):
        await admin.issuer(world.issuer).users.create({"email": "never@example.com"})
    assert await admin.issuer(world.issuer).users.create({"email": f"now{next(_unique)}@example.com"})
