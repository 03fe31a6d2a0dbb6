"""Correctness under load, as ordinary tests (no timing asserts): one client, many tasks, a real socket."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from authpi_admin import AuthPIAdmin, ConfigurationError
from authpi_admin.testing import Emulator, EmulatorServer

from .transport_helpers import connect

pytestmark = pytest.mark.usefixtures("wire_path")  # every test on both paths to the wire


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(Emulator(seed=3)) as running:
        yield running


async def test_1000_concurrent_gets_through_a_bounded_pool(server: EmulatorServer) -> None:
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        admin = connect(account_id="me", api_key="key_test", base_url=server.base_url, http_client=http)
        issuer = await admin.issuers.create({"name": "load"})
        users = admin.issuer(issuer["id"]).users
        created = [await users.create({"email": f"load{n}@example.com"}) for n in range(10)]
        peak = 0

        async def watch() -> None:
            nonlocal peak
            while True:
                peak = max(peak, len(http._transport._pool.connections))  # type: ignore[attr-defined]
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        results = await asyncio.gather(*(users.get(created[n % 10]["id"]) for n in range(1000)))
        watcher.cancel()
        assert [r["id"] for r in results] == [created[n % 10]["id"] for n in range(1000)]
        assert all(r["_etag"] for r in results)
        assert 1 <= peak <= 20


async def test_default_client_pool_stays_within_httpx_limits(server: EmulatorServer) -> None:
    async with connect(account_id="me", api_key="key_test", base_url=server.base_url) as admin:
        pages = await asyncio.gather(*(admin.issuers.list(limit=1) for _ in range(300)))
        assert len(pages) == 300
        assert len(admin.http._http._transport._pool.connections) <= 100  # type: ignore[attr-defined]


async def test_200_requests_meeting_an_expired_token_refresh_once(server: EmulatorServer) -> None:
    emulator = server.emulator
    token = emulator.issue_token()
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)  # long enough for every request to meet the 401 first
        return {"access_token": emulator.issue_token()}

    async with AuthPIAdmin(
        access_token=token, account_id="acc_test", base_url=server.base_url, on_token_expired=refresh
    ) as admin:
        issuer = await admin.issuers.create({"name": "refresh"})
        emulator.expire_token(token)
        results = await asyncio.gather(*(admin.issuer(issuer["id"]).get() for _ in range(200)))
    assert calls == 1
    assert {r["id"] for r in results} == {issuer["id"]}


async def test_responses_are_freed_without_waiting_for_the_garbage_collector() -> None:
    alive: list[weakref.ref[httpx.Response]] = []

    async def record(response: httpx.Response) -> None:
        alive.append(weakref.ref(response))

    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"data": [{"id": "x"}], "has_more": False, "next_cursor": None})
    )
    gc.disable()
    try:
        async with httpx.AsyncClient(transport=transport, event_hooks={"response": [record]}) as http:
            admin = connect(account_id="me", api_key="k", http_client=http)
            for _ in range(5):
                await admin.issuers.list()
            assert len(alive) == 5
            assert [ref() for ref in alive] == [None] * 5
    finally:
        gc.enable()


@pytest.mark.parametrize(("limit", "expected"), [(None, 100), (7, 7)])
async def test_the_client_bounds_its_own_requests_in_flight(limit: int | None, expected: int) -> None:
    in_flight = peak = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        return httpx.Response(200, json={"data": {"id": "usr_1"}})

    options: dict[str, Any] = {} if limit is None else {"max_concurrency": limit}
    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with http, connect(account_id="me", api_key="key_1", http_client=http, **options) as admin:
        users = admin.issuer("i_1").users
        results = await asyncio.gather(*(users.get("usr_1") for _ in range(2_000)))
    assert len(results) == 2_000 and peak == expected


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_max_concurrency_must_be_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="max_concurrency must be a whole number"):
        connect(api_key="key_1", max_concurrency=bad)  # type: ignore[arg-type]


async def test_a_sibling_made_before_any_call_shares_the_in_flight_bound() -> None:
    in_flight = peak = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        return httpx.Response(200, json={"data": {"id": "usr_1"}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with http, connect(account_id="me", api_key="key_1", http_client=http, max_concurrency=5) as admin:
        sibling = admin.with_options(timeout=60)  # before the parent's first request
        calls = [c.issuer("i_1").users.get("usr_1") for c in (admin, sibling) for _ in range(100)]
        await asyncio.gather(*calls)
    assert peak == 5  # one bound for the pool they share, not one each
