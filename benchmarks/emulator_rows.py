"""The emulator as a test double: in process against mocks, over a socket against a minimal Starlette app,
as its collections grow, and how fast its server stops."""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from concurrency import serving
from harness import Row, at_least, at_most, interleaved, ratios
from pytest_httpx import HTTPXMock
from pytest_httpx._options import _HTTPXMockOptions

from authpi_admin import AuthPIAdmin
from authpi_admin.testing import Emulator, EmulatorServer

HERE = Path(__file__).resolve().parent
KEY = "key_test"


def _seeded(users: int) -> tuple[Emulator, dict[str, Any]]:
    emulator = Emulator()
    emulator.seed("/v1/accounts/me/issuers", {"id": "i_1", "name": "bench"})
    last: dict[str, Any] = {}
    for n in range(users):
        last = emulator.seed("/v1/accounts/me/issuers/i_1/users", {"email": f"seed{n}@example.com"})
    return emulator, last


def _as_pytest_httpx_does(mock: HTTPXMock, options: _HTTPXMockOptions) -> pytest.MonkeyPatch:
    """What the ``httpx_mock`` fixture does to httpx, done outside pytest: every request of a real
    transport goes to ``mock``."""
    real = httpx.AsyncHTTPTransport.handle_async_request

    async def handle(transport: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        if options.should_mock(request):
            return await mock._handle_async_request(transport, request)
        return await real(transport, request)

    patch = pytest.MonkeyPatch()
    patch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle)
    return patch


async def as_a_test_double(rounds: int, calls: int) -> list[Row]:
    """``users.get`` of one stored user: the emulator in process, a MockTransport canned answer, a
    pytest-httpx mock; each the way a test would set it up."""
    emulator, user = _seeded(1)
    answer = json.dumps({"data": user}).encode()
    canned = httpx.MockTransport(
        lambda request: httpx.Response(200, content=answer, headers={"content-type": "application/json"})
    )
    options = _HTTPXMockOptions()
    mock = HTTPXMock(options)
    mock.add_response(
        url=f"https://api.authpi.dev/v1/accounts/me/issuers/i_1/users/{user['id']}",
        json={"data": user},
        is_reusable=True,
    )
    patch = _as_pytest_httpx_does(mock, options)
    clients = {
        "emulator": emulator.client(account_id="me"),
        "canned": _like_emulator_client(emulator, canned),
        "mock": AuthPIAdmin(account_id="me", api_key=KEY, http_client=httpx.AsyncClient(transport=canned)),
        "pytest_httpx": AuthPIAdmin(account_id="me", api_key=KEY),
    }
    try:
        sides = {name: _getter(admin, user["id"]) for name, admin in clients.items()}
        times = await interleaved(sides, rounds, calls)
    finally:
        patch.undo()
        for admin in clients.values():
            await admin.close()
    us = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    detail = (
        f"emulator {us['emulator']:.1f} us, MockTransport {us['mock']:.1f} us, pytest-httpx {us['pytest_httpx']:.1f} us"
    )
    like_for_like = (
        f"emulator {us['emulator']:.1f} us vs {us['canned']:.1f} us: the same client (Emulator.client()'s "
        "construction), only its transport answering a canned body: the emulator's own cost"
    )
    return [
        at_most(
            "emulator in process / canned answer, client built like Emulator.client()",
            ratios(times["emulator"], times["canned"]),
            1.5,
            like_for_like,
        ),
        at_most(
            "emulator in process / MockTransport canned answer", ratios(times["emulator"], times["mock"]), 1.5, detail
        ),
        at_most(
            "emulator in process / pytest-httpx mock", ratios(times["emulator"], times["pytest_httpx"]), 1.0, detail
        ),
    ]


def _like_emulator_client(emulator: Emulator, transport: httpx.AsyncBaseTransport) -> AuthPIAdmin:
    """A client made by ``emulator.client()`` itself (same options, same marked httpx client, same retry
    policy), with ``transport`` answering in the emulator's place."""
    patch = pytest.MonkeyPatch()
    patch.setattr(emulator, "transport", lambda: transport)
    try:
        return emulator.client(account_id="me")
    finally:
        patch.undo()


def _getter(admin: AuthPIAdmin, user_id: str) -> Any:
    users = admin.issuer("i_1").users

    async def get() -> None:
        await users.get(user_id)

    return get


async def _creates(emulator: Emulator, count: int, tag: str) -> float:
    async with emulator.client(account_id="me") as admin:
        users = admin.issuer("i_1").users
        started = time.perf_counter()
        for n in range(count):
            await users.create({"email": f"{tag}{n}@example.com"})
        return (time.perf_counter() - started) / count


async def create_growth(rounds: int) -> Row:
    """A create in a collection of 5,000 users against one in a collection of 100: the store's indexes."""
    (small, _), (large, _) = _seeded(100), _seeded(5_000)
    values = [
        await _creates(large, 100, f"l{index}_") / await _creates(small, 100, f"s{index}_") for index in range(rounds)
    ]
    return at_most("emulator create at 5,000 users / at 100", values, 1.2, "100 creates a round, in process")


async def _walk(emulator: Emulator) -> float:
    async with emulator.client(account_id="me") as admin:
        started = time.perf_counter()
        walked = sum([1 async for _ in admin.issuer("i_1").users.list_all(limit=20)])
        return (time.perf_counter() - started) / walked


async def walk_growth(rounds: int) -> Row:
    """Walking 5,000 users against walking 100, per item: a page should cost the page, not the collection."""
    (small, _), (large, _) = _seeded(100), _seeded(5_000)
    await _walk(small)
    values = [await _walk(large) / await _walk(small) for _ in range(rounds)]
    return at_most("emulator list_all per item: 5,000 users / 100", values, 1.2, "pages of 20, in process")


# ------------------------------------------------------------------------------------------- over a socket


def _served_user(url: str, headers: dict[str, str], account: str, body: dict[str, str]) -> str:
    """The URL of a user created on the emulator at ``url``, through its API."""
    with httpx.Client(base_url=url, headers=headers) as http:
        issuer = http.post(f"/v1/accounts/{account}/issuers", json={"name": "bench"}).json()["data"]
        users = f"/v1/accounts/{account}/issuers/{issuer['id']}/users"
        user = http.post(users, json=body).json()["data"]
        return f"{url}{users}/{user['id']}"


def over_a_socket(requests: int, connections: int, rounds: int) -> Row:
    """Requests per second of the emulator against a minimal Starlette app answering the same user, same
    uvicorn settings, same load; each server in its own process.

    The row is today's API as ``serve --strict`` serves it (a key pair, the account's id). The same race
    runs a lenient emulator sent 0.3.0's forms (a bearer key, ``me``), shown in the detail: lenient mode
    also records each request as a divergence and says why in a header, work a plain server does not do.
    """
    command = [sys.executable, "-m", "authpi_admin.testing", "serve", "--port", "0"]
    pair = {"authorization": "Basic " + base64.b64encode(b"key_test:sec_test").decode()}
    bearer = {"authorization": f"Bearer {KEY}"}
    with serving([*command, "--strict"]) as strict_url, serving([*command, "--api-key", KEY]) as lenient_url:
        strict = _served_user(strict_url, pair, "acc_test", {"username_type": "email", "username": "b@example.com"})
        lenient = _served_user(lenient_url, bearer, "me", {"email": "b@example.com"})
        answer = httpx.get(strict, headers=pair).text
        baseline_command = [sys.executable, str(HERE / "starlette_baseline.py"), answer]
        with serving(baseline_command) as baseline_url:
            baseline = (f"{baseline_url}/v1/accounts/acc_test/issuers/i/users/u", pair)
            # two races of two sides each, as a two-core machine serves them evenly
            today = {"emulator": (strict, pair), "starlette": baseline}
            rates = asyncio.run(_race(today, requests, connections, rounds))
            old = {"lenient": (lenient, bearer), "starlette": baseline}
            old_rates = asyncio.run(_race(old, requests, connections, rounds))
    median = {side: statistics.median(values) for side, values in rates.items()}
    lenient_ratio = statistics.median(ratios(old_rates["lenient"], old_rates["starlette"]))
    detail = (
        f"emulator (strict, key pair) {median['emulator']:.0f} req/s vs Starlette {median['starlette']:.0f} "
        f"req/s; {requests} GETs over {connections} keep-alive connections a round, from a raw-socket load "
        f"generator. Lenient, sent 0.3.0's forms (divergences recorded): {lenient_ratio:.3f}x in a race of its own"
    )
    name = "emulator over a socket / minimal Starlette app"
    return at_least(name, ratios(rates["emulator"], rates["starlette"]), 0.9, detail)


async def _race(
    targets: dict[str, tuple[str, dict[str, str]]], requests: int, connections: int, rounds: int
) -> dict[str, list[float]]:
    """Each side's rate per round; every round starts from another side, so a slow stretch hits all."""
    rates: dict[str, list[float]] = {side: [] for side in targets}
    sides = list(targets)
    for index in range(rounds + 1):  # the first round warms up
        for side in sides[index % len(sides) :] + sides[: index % len(sides)]:
            url, headers = targets[side]
            rate = await load(url, headers, requests, connections)
            if index:
                rates[side].append(rate)
    return rates


async def load(url: str, headers: dict[str, str], requests: int, connections: int) -> float:
    """Requests per second a server answers: ``connections`` keep-alive connections, each sending its next
    GET as soon as the last answer is in. Written on bare asyncio streams, so the load costs far less
    than the servers do and their difference is what shows (an httpx client would be the bottleneck)."""
    parsed = httpx.URL(url)
    head = f"GET {parsed.raw_path.decode()} HTTP/1.1\r\nhost: {parsed.host}\r\n"
    request = (head + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    queue = iter(range(requests))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
        for _ in queue:
            writer.write(request)
            status_and_headers = await reader.readuntil(b"\r\n\r\n")
            if not status_and_headers.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(status_and_headers[:80].decode())
            length = int(status_and_headers.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return requests / (time.perf_counter() - started)


def server_stop(rounds: int) -> Row:
    """Milliseconds ``EmulatorServer.stop()`` takes with a client's keep-alive connection open."""
    stops = []
    for _ in range(rounds):
        server = EmulatorServer().start()
        with httpx.Client(base_url=server.base_url, headers={"authorization": f"Bearer {KEY}"}) as client:
            client.get("/v1/me").raise_for_status()
            started = time.perf_counter()
            server.stop()
            stops.append((time.perf_counter() - started) * 1000)
    return at_most("EmulatorServer.stop(), ms", stops, 20, f"{rounds} stops, an idle keep-alive connection open")
