"""Flat with age: everything an emulator remembers is bounded (EmulatorLimits), and a deleted record leaves
nothing behind in the store's indexes. (Memory and time over 40,000 served requests: benchmarks/soak.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from authpi_admin import AuthenticationError, AuthPIAdmin
from authpi_admin.testing import Emulator, EmulatorLimits
from authpi_admin.testing.store import Store


def _footprint(store: Store) -> dict[str, int]:
    """How many entries each of the store's containers holds (what would grow if a removal left any)."""
    return {
        "records": sum(len(table) for table in store._records.values()),
        "order": sum(len(order) for order in store._order.values()),
        "order_seqs": sum(len(seqs) for seqs in store._order_seqs.values()),
        "unique": sum(len(holders) for holders in store._unique.values()) + len(store._unique),
        "indexed": len(store._indexed),
        "children": sum(len(children) for children in store._children.values()) + len(store._children),
    }


async def _cycles(admin: AuthPIAdmin, issuer_id: str, live: list[str], count: int, start: int) -> None:
    users = admin.issuer(issuer_id).users
    for serial in range(start, start + count):
        made = await users.create({"username_type": "username", "username": f"u{serial}"})
        await users.delete(live.pop(0))
        live.append(made["id"])


async def test_create_and_delete_cycles_leave_the_store_as_large_as_before() -> None:
    emulator = Emulator(strict=True, limits=EmulatorLimits(events=50))
    async with emulator.client() as admin:
        issuer = await admin.issuers.create({"name": "Soak"})
        users = admin.issuer(issuer["id"]).users
        live = [(await users.create({"username_type": "username", "username": f"u{n}"}))["id"] for n in range(20)]
        await _cycles(admin, issuer["id"], live, 300, 20)
        young = _footprint(emulator.store)
        await _cycles(admin, issuer["id"], live, 1_500, 320)
        old = _footprint(emulator.store)
    # after compaction every container holds the same for the same live objects (order may lag by < 64)
    assert {k: v for k, v in old.items() if not k.startswith("order")} == {
        k: v for k, v in young.items() if not k.startswith("order")
    }
    assert old["order"] <= young["order"] + 64 and old["order"] == old["order_seqs"]
    assert len(await _all_users(emulator, issuer["id"])) == 20  # and lists still see every live user


async def _all_users(emulator: Emulator, issuer_id: str) -> list[dict[str, Any]]:
    async with emulator.client() as admin:
        return [user async for user in admin.issuer(issuer_id).users.list_all(limit=3)]


async def test_deleting_a_parent_removes_its_descendants_through_the_index_and_leaves_no_entry() -> None:
    emulator = Emulator(strict=True)
    async with emulator.client() as admin:
        empty = _footprint(emulator.store)
        issuer = await admin.issuers.create({"name": "Gone"})
        org = await admin.issuer(issuer["id"]).organizations.create({"name": "Org"})
        await admin.issuer(issuer["id"]).organization(org["id"]).groups.create({"name": "G"})
        await admin.issuers.delete(issuer["id"])
        assert emulator.store.count("groups") == emulator.store.count("organizations") == 0
        after = _footprint(emulator.store)
    events = emulator.store.count("events")  # the delete's own event stays, with what it names
    assert after["indexed"] == empty["indexed"] and after["unique"] == empty["unique"]
    assert after["records"] == empty["records"] + events


async def test_every_log_and_history_keeps_its_cap_newest_last() -> None:
    limits = EmulatorLimits(requests=4, writes=3, divergences=2, events=5, deliveries=2, replays=2, tokens=2)
    emulator = Emulator(limits=limits)
    async with emulator.client() as admin:
        await admin.webhooks.create(
            {"name": "h", "url": "http://127.0.0.1:9/x", "auth": {"type": "none"}, "events": ["*"]}
        )
        for n in range(8):
            await admin.issuers.create({"name": f"i{n}"}, idempotency_key=f"key-{n}")
        issued = [emulator.issue_token(expires_in=3600) for _ in range(3)]
    emulator.close()
    assert [write.path for write in emulator.writes] == ["/v1/accounts/acc_test/issuers"] * 3
    assert len(emulator.state.requests) == 4
    assert len(emulator.divergences) == 0  # the key pair is today's form: none
    names = [event["data"]["object"].get("name") for event in emulator.events]
    assert names == ["i3", "i4", "i5", "i6", "i7"]  # the newest five
    assert len(emulator.deliveries) == 2
    assert list(emulator.state.idempotency) == [("acc_test", "key-6"), ("acc_test", "key-7")]
    # the oldest issued token is unknown again; the two newest still work
    for token, works in zip(issued, (False, True, True), strict=True):
        async with emulator.client(access_token=token, account_id="acc_test") as as_token:
            if works:
                await as_token.issuers.list()
            else:
                with pytest.raises(AuthenticationError):
                    await as_token.issuers.list()


async def test_divergences_are_capped_and_a_mark_stays_true_past_the_cap() -> None:
    emulator = Emulator(limits=EmulatorLimits(divergences=2))
    mark = emulator.state.divergence_count
    async with emulator.client(api_key="key_test", account_id="me") as admin:  # 0.3.0's forms: divergences
        for _ in range(3):
            await admin.issuers.list()
    assert emulator.state.divergence_count == mark + 3
    assert len(emulator.state.divergences_since(mark)) == 2  # the two still remembered
    assert len(emulator.state.divergences_since(emulator.state.divergence_count - 1)) == 1


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "10"])
def test_a_limit_must_be_a_whole_number_of_at_least_one(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^EmulatorLimits\.events must be a whole number of at least 1, not "):
        EmulatorLimits(events=value)
