"""The emulator's behaviour on the wire, with raw httpx in process: what any HTTP client sees."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from authpi_admin.testing import DroppedConnection, Emulator, Fault

ACCT = "/v1/accounts/me"
KEY = {"authorization": "Bearer key_test"}


class Clock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> Emulator:
    return Emulator(clock=clock)


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emulator", headers=KEY) as client:
        yield client


async def make_issuer(http: httpx.AsyncClient, name: str = "Acme") -> dict[str, Any]:
    response = await http.post(f"{ACCT}/issuers", json={"name": name})
    assert response.status_code == 201
    return response.json()["data"]  # type: ignore[no-any-return]


async def test_create_get_update_delete_with_envelopes_and_etags(http: httpx.AsyncClient, clock: Clock) -> None:
    created = await http.post(f"{ACCT}/issuers", json={"name": "Acme", "metadata": {"tier": "gold"}})
    assert created.status_code == 201
    body = created.json()
    assert list(body) == ["data"]
    issuer = body["data"]
    assert issuer["id"].startswith("i_")  # today's issuer ids
    assert (issuer["name"], issuer["account_id"], issuer["metadata"]) == ("Acme", "acc_test", {"tier": "gold"})
    assert issuer["created_at"] == issuer["updated_at"] == 1_800_000_000
    etag = created.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    read = await http.get(f"{ACCT}/issuers/{issuer['id']}")
    assert read.json() == {"data": issuer}
    assert read.headers["etag"] == etag

    clock.now += 60
    patched = await http.patch(f"{ACCT}/issuers/{issuer['id']}", json={"name": "Acme 2"}, headers={"if-match": etag})
    assert patched.status_code == 200
    assert patched.json()["data"]["name"] == "Acme 2"
    assert patched.json()["data"]["updated_at"] == 1_800_000_060
    assert patched.headers["etag"] != etag

    stale = await http.patch(f"{ACCT}/issuers/{issuer['id']}", json={"name": "x"}, headers={"if-match": etag})
    assert stale.status_code == 412
    assert stale.json()["error"] == "precondition_failed"
    assert stale.json()["current_etag"] == patched.headers["etag"]

    stale_delete = await http.delete(f"{ACCT}/issuers/{issuer['id']}", headers={"if-match": etag})
    assert stale_delete.status_code == 412
    deleted = await http.delete(f"{ACCT}/issuers/{issuer['id']}", headers={"if-match": "*"})
    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = await http.get(f"{ACCT}/issuers/{issuer['id']}")
    assert gone.status_code == 404
    assert gone.json()["error"] == "not_found"


async def test_error_bodies_have_the_documented_shape(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{ACCT}/issuers/iss_missing")
    body = response.json()
    assert set(body) == {"error", "error_description", "reference", "retryable"}
    assert body["retryable"] is False
    assert body["reference"].startswith("req_")


async def test_validation_reports_fields(http: httpx.AsyncClient) -> None:
    issuer = await make_issuer(http)
    response = await http.post(
        f"{ACCT}/issuers/{issuer['id']}/users", json={"email": "not-an-email", "nickname": "x", "status": "zombie"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_failed"
    assert sorted((f["field"], f["code"]) for f in body["fields"]) == [
        ("email", "invalid_format"),
        ("nickname", "unknown_field"),
        ("status", "invalid_value"),
    ]
    missing = await http.post(f"{ACCT}/issuers", json={})
    assert missing.json()["fields"] == [{"field": "name", "code": "required", "message": "is required"}]
    wrong_type = await http.post(f"{ACCT}/issuers", json={"name": 5})
    assert wrong_type.json()["fields"][0]["code"] == "invalid_type"


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"{not json", "invalid_json"), (b"[1, 2]", "invalid_request"), (b"", "invalid_request")],
)
async def test_malformed_bodies_are_400(http: httpx.AsyncClient, content: bytes, error: str) -> None:
    response = await http.post(f"{ACCT}/issuers", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == error


async def test_unknown_parent_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{ACCT}/issuers/iss_nope/users")
    assert response.status_code == 404
    assert response.json()["error_description"] == "No issuer iss_nope"
    issuer = await make_issuer(http)
    other = await make_issuer(http, "Other")
    user = (await http.post(f"{ACCT}/issuers/{issuer['id']}/users", json={"email": "a@example.com"})).json()["data"]
    # the user exists, but not under the other issuer
    assert (await http.get(f"{ACCT}/issuers/{other['id']}/users/{user['id']}")).status_code == 404


async def test_unique_email_within_an_issuer_is_409(http: httpx.AsyncClient) -> None:
    issuer = await make_issuer(http)
    other = await make_issuer(http, "Other")
    users = f"{ACCT}/issuers/{issuer['id']}/users"
    assert (await http.post(users, json={"email": "a@example.com"})).status_code == 201
    duplicate = await http.post(users, json={"email": "A@Example.com"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "conflict"
    # another issuer may have the same email
    assert (await http.post(f"{ACCT}/issuers/{other['id']}/users", json={"email": "a@example.com"})).status_code == 201


async def test_idempotency_key_replays_and_refuses_reuse(http: httpx.AsyncClient, emulator: Emulator) -> None:
    headers = {"idempotency-key": "idem-1"}
    first = await http.post(f"{ACCT}/issuers", json={"name": "Once"}, headers=headers)
    again = await http.post(f"{ACCT}/issuers", json={"name": "Once"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert emulator.store.count("issuers") == 1
    assert [w.idempotency_key for w in emulator.writes] == ["idem-1"]
    reused = await http.post(f"{ACCT}/issuers", json={"name": "Other"}, headers=headers)
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_reused"


async def test_failed_write_does_not_burn_the_idempotency_key(http: httpx.AsyncClient) -> None:
    headers = {"idempotency-key": "idem-2"}
    assert (await http.post(f"{ACCT}/issuers", json={}, headers=headers)).status_code == 422
    assert (await http.post(f"{ACCT}/issuers", json={"name": "ok"}, headers=headers)).status_code == 201


async def test_pagination_cursors_limits_and_filters(http: httpx.AsyncClient) -> None:
    issuer = await make_issuer(http)
    users = f"{ACCT}/issuers/{issuer['id']}/users"
    for n in range(7):
        status = "blocked" if n % 3 == 0 else "active"
        await http.post(users, json={"email": f"u{n}@example.com", "status": status})
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await http.get(users, params=params)).json()
        assert set(page) == {"data", "has_more", "next_cursor"}
        seen += [u["email"] for u in page["data"]]
        pages += 1
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == [f"u{n}@example.com" for n in range(7)]
    assert pages == 3
    blocked = (await http.get(users, params={"status": "blocked"})).json()["data"]
    assert [u["email"] for u in blocked] == ["u0@example.com", "u3@example.com", "u6@example.com"]
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"cursor": "garbage!"}):
        response = await http.get(users, params=bad)
        assert response.status_code == 400, bad
        assert response.json()["fields"][0]["field"] in ("limit", "cursor")


async def test_page_survives_deleting_the_last_item_seen(http: httpx.AsyncClient) -> None:
    for n in range(4):
        await make_issuer(http, f"i{n}")
    first = (await http.get(f"{ACCT}/issuers", params={"limit": 2})).json()
    await http.delete(f"{ACCT}/issuers/{first['data'][-1]['id']}")
    rest = (await http.get(f"{ACCT}/issuers", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["name"] for i in rest["data"]] == ["i2", "i3"]


async def test_events_record_every_write_and_filter(http: httpx.AsyncClient, clock: Clock) -> None:
    issuer = await make_issuer(http)
    clock.now += 10
    user = (await http.post(f"{ACCT}/issuers/{issuer['id']}/users", json={"email": "e@example.com"})).json()["data"]
    await http.patch(f"{ACCT}/issuers/{issuer['id']}/users/{user['id']}", json={"display_name": "E"})
    events = (await http.get(f"{ACCT}/events")).json()["data"]
    assert [e["type"] for e in events] == ["issuer.created", "user.created", "user.updated"]
    assert events[1]["subject"] == {"type": "user", "id": user["id"]}
    assert events[1]["data"]["object"]["email"] == "e@example.com"
    assert events[1]["timestamp"] == 1_800_000_010.0
    only_users = (await http.get(f"{ACCT}/events", params={"event_types": "user.*"})).json()["data"]
    assert [e["type"] for e in only_users] == ["user.created", "user.updated"]
    after = (await http.get(f"{ACCT}/events", params={"after": 1_800_000_005})).json()["data"]
    assert len(after) == 2
    by_user = (await http.get(f"{ACCT}/events", params={"user_id": user["id"]})).json()["data"]
    assert len(by_user) == 2
    one = await http.get(f"{ACCT}/events/{events[0]['id']}")
    assert one.json()["data"] == events[0]


async def test_webhooks_get_deliveries_for_matching_events(http: httpx.AsyncClient) -> None:
    hook = {"name": "h", "url": "https://h.example.com", "auth": {"type": "none"}, "events": ["user.created"]}
    webhook = (await http.post(f"{ACCT}/webhooks", json=hook)).json()["data"]
    issuer = await make_issuer(http)
    await http.post(f"{ACCT}/issuers/{issuer['id']}/users", json={"email": "d@example.com"})
    deliveries = (await http.get(f"{ACCT}/webhooks/{webhook['id']}/deliveries")).json()["data"]
    # recorded for delivery, not sent: no attempt made yet (the emulator sends nothing)
    assert [(d["event_type"], d["status"], d["attempt_count"]) for d in deliveries] == [("user.created", "pending", 0)]


async def test_deleting_an_issuer_removes_what_lives_under_it(http: httpx.AsyncClient, emulator: Emulator) -> None:
    issuer = await make_issuer(http)
    await http.post(f"{ACCT}/issuers/{issuer['id']}/users", json={"email": "c@example.com"})
    assert emulator.store.count("users") == 1
    await http.delete(f"{ACCT}/issuers/{issuer['id']}")
    assert emulator.store.count("users") == 0


async def test_actions_change_state_and_refuse_invalid_transitions(http: httpx.AsyncClient, emulator: Emulator) -> None:
    issuer = await make_issuer(http)
    key = emulator.add_api_key(issuer["id"])
    path = f"{ACCT}/issuers/{issuer['id']}/api-keys/{key['id']}"
    blocked = await http.post(f"{path}/block", json={"reason": "leaked"})
    assert blocked.json()["data"]["status"] == "blocked"
    assert blocked.json()["data"]["status_reason"] == "leaked"
    again = await http.post(f"{path}/block")
    assert again.status_code == 409
    assert again.json()["error"] == "invalid_state"
    assert (await http.post(f"{path}/unblock")).json()["data"]["status"] == "active"
    assert (await http.post(f"{path}/revoke")).json()["data"]["status"] == "revoked"
    assert (await http.post(f"{path}/unblock")).status_code == 409
    # the same key is reachable at account level
    assert (await http.get(f"{ACCT}/api-keys/{key['id']}")).json()["data"]["status"] == "revoked"
    types = [w.event_type for w in emulator.writes]
    assert types == ["issuer.created", "api-key.blocked", "api-key.unblocked", "api-key.updated"]


def _domain(answer: httpx.Response, host: str) -> dict[str, Any]:
    """The entry for ``host`` in the account a domain call answers with."""
    account = answer.json()["data"]
    assert account["id"] == "acc_test"
    (found,) = [d for d in account["domains"] if d["host"].lower() == host]
    return found


async def test_domain_lifecycle(http: httpx.AsyncClient) -> None:
    issuer = await make_issuer(http)
    domain = "login.example.com"
    created = _domain(await http.post(f"{ACCT}/domains", json={"domain": "Login.Example.com"}), domain)
    assert (created["host"], created["verified"], created["assigned_issuer_id"]) == ("Login.Example.com", False, None)
    assert (await http.post(f"{ACCT}/domains/{domain}/assign", json={"issuer_id": issuer["id"]})).status_code == 409
    assert _domain(await http.post(f"{ACCT}/domains/{domain}/verify"), domain)["verified"] is True
    assigned = _domain(await http.post(f"{ACCT}/domains/{domain}/assign", json={"issuer_id": issuer["id"]}), domain)
    assert assigned["assigned_issuer_id"] == issuer["id"] and assigned["assigned_at"] is not None
    listed = (await http.get(f"{ACCT}/issuers/{issuer['id']}/domains")).json()["data"]
    assert [(d["host"], d["domain"]) for d in listed] == [("Login.Example.com", "Login.Example.com")]
    assert _domain(await http.post(f"{ACCT}/domains/{domain}/unassign"), domain)["assigned_issuer_id"] is None
    assert (await http.get(f"{ACCT}/issuers/{issuer['id']}/domains")).json()["data"] == []
    assert (await http.post(f"{ACCT}/domains", json={"domain": "login.example.com"})).status_code == 409


async def test_sessions_suspend_reactivate_revoke(http: httpx.AsyncClient, emulator: Emulator) -> None:
    issuer = await make_issuer(http)
    user = (await http.post(f"{ACCT}/issuers/{issuer['id']}/users", json={"email": "s@example.com"})).json()["data"]
    session = emulator.add_session(issuer["id"], user["id"])
    by_user = f"{ACCT}/issuers/{issuer['id']}/users/{user['id']}/sessions/{session['id']}"
    by_issuer = f"{ACCT}/issuers/{issuer['id']}/sessions/{session['id']}"
    assert (await http.post(f"{by_issuer}/reactivate")).status_code == 409
    assert (await http.post(f"{by_user}/suspend")).json()["data"]["status"] == "suspended"
    assert (await http.post(f"{by_issuer}/reactivate")).json()["data"]["status"] == "active"
    revoked = (await http.post(f"{by_user}/revoke", json={"reason": "logout"})).json()["data"]
    assert (revoked["status"], revoked["revoked_reason"]) == ("revoked", "logout")
    assert (await http.post(f"{by_user}/revoke")).status_code == 409


async def test_authentication(http: httpx.AsyncClient, emulator: Emulator, clock: Clock) -> None:
    for headers in ({"authorization": ""}, {"authorization": "Bearer wrong"}, {"authorization": "Basic key_test"}):
        response = await http.get(f"{ACCT}/issuers", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
    token = emulator.issue_token(expires_in=30)
    assert (await http.get(f"{ACCT}/issuers", headers={"authorization": f"Bearer {token}"})).status_code == 200
    clock.now += 31
    expired = await http.get(f"{ACCT}/issuers", headers={"authorization": f"Bearer {token}"})
    assert (expired.status_code, expired.json()["error"]) == (401, "token_expired")
    fresh = emulator.issue_token()
    emulator.expire_token(fresh)
    assert (await http.get(f"{ACCT}/issuers", headers={"authorization": f"Bearer {fresh}"})).status_code == 401


async def test_me_and_other_accounts(http: httpx.AsyncClient, emulator: Emulator) -> None:
    assert (await http.get("/v1/accounts/acc_test/issuers")).status_code == 200
    assert (await http.get("/v1/accounts/me")).json()["data"]["id"] == "acc_test"
    emulator.add_account("acc_other")
    other = await http.get("/v1/accounts/acc_other/issuers")
    ghost = await http.get("/v1/accounts/acc_ghost/issuers")
    # another tenant's account and one that does not exist are told apart by nothing but the id
    assert (other.status_code, ghost.status_code) == (404, 404)
    assert other.json()["error_description"] == "No account acc_other"
    assert ghost.json()["error_description"] == "No account acc_ghost"
    assert set(other.json()) == set(ghost.json())
    accounts = (await http.get("/v1/accounts")).json()
    assert [a["id"] for a in accounts["data"]] == ["acc_test"]


async def test_unknown_routes_and_methods_answer_json(http: httpx.AsyncClient) -> None:
    missing = await http.get("/v2/nothing")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    wrong = await http.put(f"{ACCT}/issuers")
    assert (wrong.status_code, wrong.json()["error"]) == (405, "method_not_allowed")


async def test_fault_status_with_retry_after_then_recovery(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.add(status=429, retry_after=2, times=1, route=f"GET {ACCT.replace('me', '{account_id}')}/issuers")
    limited = await http.get(f"{ACCT}/issuers")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert limited.json()["retry_after"] == 2
    assert limited.json()["retryable"] is True
    assert (await http.get(f"{ACCT}/issuers")).status_code == 200
    assert emulator.faults.injected == 1


async def test_fault_routes_by_glob_and_method(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.add(status=503, route="POST /v1/accounts/*/issuers")
    assert (await http.get(f"{ACCT}/issuers")).status_code == 200
    assert (await http.post(f"{ACCT}/issuers", json={"name": "x"})).status_code == 503
    emulator.faults.clear()
    assert (await http.post(f"{ACCT}/issuers", json={"name": "x"})).status_code == 201


async def test_fault_malformed_and_drop(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.add(malformed=True, times=1)
    broken = await http.get(f"{ACCT}/issuers")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    emulator.faults.add(drop=True, times=1)
    with pytest.raises(DroppedConnection):
        await http.get(f"{ACCT}/issuers")
    assert (await http.get(f"{ACCT}/issuers")).status_code == 200


async def test_fault_probability_is_repeatable(emulator: Emulator, http: httpx.AsyncClient) -> None:
    emulator.faults.add(status=502, probability=0.3)
    statuses = [(await http.get(f"{ACCT}/issuers")).status_code for _ in range(200)]
    failures = statuses.count(502)
    assert 30 < failures < 90
    again = Emulator()
    again.faults.add(status=502, probability=0.3)
    async with httpx.AsyncClient(transport=again.transport(), base_url="http://e", headers=KEY) as other:
        assert [(await other.get(f"{ACCT}/issuers")).status_code for _ in range(200)] == statuses


def test_bad_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="needs status"):
        Fault()
    with pytest.raises(ValueError, match="probability"):
        Fault(status=500, probability=2)
    with pytest.raises(ValueError, match="HTTP status"):
        Fault(status=42)


async def test_latency_fault_delays_but_answers(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.add(latency=0.05, times=1)
    assert (await http.get(f"{ACCT}/issuers")).status_code == 200
    assert emulator.faults.injected == 1


def test_seed_and_get(emulator: Emulator) -> None:
    emulator.seed(f"{ACCT}/issuers", {"id": "iss_seed", "name": "Seeded"})
    user = emulator.seed(f"{ACCT}/issuers/iss_seed/users", {"email": "seed@example.com"})
    assert user["issuer_id"] == "iss_seed"
    assert emulator.get(f"{ACCT}/issuers/iss_seed/users/{user['id']}") == user
    assert emulator.get(f"{ACCT}/issuers/iss_seed/users/usr_none") is None
    assert emulator.writes == []
    with pytest.raises(ValueError, match="collection path"):
        emulator.seed(f"{ACCT}/issuers/iss_seed")
    for nowhere in (f"{ACCT}/planets", f"{ACCT}/planets/p_1/users", "/v2/nowhere", f"{ACCT}/issuers/iss_seed/x/y"):
        with pytest.raises(ValueError, match=r"is not a collection or object path of the API \(for example"):
            emulator.seed(nowhere)  # a ValueError that says so, never a KeyError


async def test_uniqueness_follows_updates_and_deletes(http: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.seed("/v1/accounts/me/issuers", {"id": "i_u", "name": "unique"})
    users = f"{ACCT}/issuers/i_u/users"

    def user(name: str) -> dict[str, str]:
        return {"username_type": "username", "username": name}

    first = (await http.post(users, json=user("ann"))).json()["data"]
    await http.patch(f"{users}/{first['id']}", json={"username": "bob"})
    assert (await http.post(users, json=user("ANN"))).status_code == 201  # freed by the update
    assert (await http.post(users, json=user("bob"))).status_code == 409  # taken by it
    await http.delete(f"{users}/{first['id']}")
    assert (await http.post(users, json=user("bob"))).status_code == 201  # freed by the delete
    for n in range(3):  # seeding goes through the same index
        emulator.seed("/v1/accounts/me/issuers/i_u/users", {"email": f"s{n}@example.com"})
    assert (await http.post(users, json={"email": "s1@example.com"})).status_code == 409


async def test_pages_after_a_cursor_skip_removed_objects_and_keep_new_ones(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.seed("/v1/accounts/me/issuers", {"id": "i_p", "name": "paged"})
    users = f"{ACCT}/issuers/i_p/users"
    ids = [emulator.seed("/v1/accounts/me/issuers/i_p/users", {"id": f"u{n}"})["id"] for n in range(6)]
    first = (await http.get(users, params={"limit": 2})).json()
    assert [u["id"] for u in first["data"]] == ["u0", "u1"]
    await http.delete(f"{users}/u2")
    await http.delete(f"{users}/u3")
    emulator.seed("/v1/accounts/me/issuers/i_p/users", {"id": "u2"})  # the same id again, created last
    rest = (await http.get(users, params={"limit": 10, "cursor": first["next_cursor"]})).json()
    assert [u["id"] for u in rest["data"]] == ["u4", "u5", "u2"]
    assert rest["has_more"] is False and ids[2] == "u2"
