"""The in-flight bound: first come first served, never leaking a slot however a waiting call ends."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from authpi_admin import AuthPIAdmin
from authpi_admin._in_flight import InFlightLimit


async def _holders(limit: InFlightLimit, count: int) -> list[object]:
    slots = [limit.slot() for _ in range(count)]
    for slot in slots:
        await slot.take()
    return slots


async def test_waiting_calls_are_served_in_arrival_order() -> None:
    limit = InFlightLimit(1)
    (first,) = await _holders(limit, 1)
    served: list[int] = []

    async def call(n: int) -> None:
        slot = limit.slot()
        await slot.take()
        served.append(n)
        await asyncio.sleep(0)
        slot.give_back()

    waiting = [asyncio.ensure_future(call(n)) for n in range(5)]
    await asyncio.sleep(0)
    assert served == []
    first.give_back()  # type: ignore[attr-defined]
    await asyncio.gather(*waiting)
    assert served == [0, 1, 2, 3, 4]


async def test_a_call_cancelled_while_waiting_leaves_no_slot_behind() -> None:
    limit = InFlightLimit(1)
    (holder,) = await _holders(limit, 1)
    cancelled = asyncio.ensure_future(limit.slot().take())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    holder.give_back()  # type: ignore[attr-defined]
    assert len(await _holders(limit, 1)) == 1  # the freed slot went to nobody else: it is free
    with pytest.raises(asyncio.TimeoutError):  # and there is only the one
        await asyncio.wait_for(limit.slot().take(), 0.01)


async def test_a_call_cancelled_just_as_it_was_handed_a_slot_passes_it_on() -> None:
    limit = InFlightLimit(1)
    (holder,) = await _holders(limit, 1)
    unlucky = asyncio.ensure_future(limit.slot().take())
    next_in_line = limit.slot()
    patient = asyncio.ensure_future(next_in_line.take())
    await asyncio.sleep(0)
    holder.give_back()  # type: ignore[attr-defined]  # hands the slot to the unlucky waiter...
    unlucky.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    await asyncio.wait_for(patient, 1)  # the slot was passed on, not lost
    next_in_line.give_back()
    next_in_line.give_back()  # a second give-back is a no-op: still one slot
    await _holders(limit, 1)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(limit.slot().take(), 0.01)


async def test_resolving_the_account_needs_no_slot_of_the_calls_waiting_for_it() -> None:
    # one slot, twenty calls, and none of them knows the account: the first resolution must not wait for
    # a slot the calls themselves hold
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/me":
            return httpx.Response(200, json={"data": {"accounts": [{"account_id": "acc_9"}]}})
        return httpx.Response(200, json={"data": {"id": "usr_1", "path": request.url.path}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with http, AuthPIAdmin(api_key="key_1", http_client=http, max_concurrency=1) as admin:
        users = admin.issuer("i_1").users
        results = await asyncio.wait_for(asyncio.gather(*(users.get("usr_1") for _ in range(20))), 10)
    assert {r["path"] for r in results} == {"/v1/accounts/acc_9/issuers/i_1/users/usr_1"}
