"""Many calls at once on one client, over a real socket: the SDK's bound on requests in flight, and throughput.

Servers run in their own processes, so the client side has the interpreter to itself.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from harness import Row, at_least, at_most, ratios

from authpi_admin import AuthPIAdmin

HERE = Path(__file__).resolve().parent
KEY = "key_bench"


@contextmanager
def serving(command: list[str]) -> Iterator[str]:
    """Run a server process that prints its port (or a line holding ``base_url: URL``); yield its base URL."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        while not line.strip().isdigit() and "base_url:" not in line:
            line = process.stdout.readline()
        yield line.split("base_url:", 1)[1].strip() if "base_url:" in line else f"http://127.0.0.1:{line.strip()}"
    finally:
        process.terminate()
        process.wait(timeout=10)


# ----------------------------------------------------------------------- 10,000 calls at once, one client


_CHILD = """
import asyncio, json, sys, time, tracemalloc
sys.path.insert(0, {here!r})
from concurrency import gather_sdk, gather_raw
side, url, calls, traced = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "traced"
if traced:
    tracemalloc.start()
started = time.perf_counter()
errors = asyncio.run(gather_sdk(url, calls) if side == "sdk" else gather_raw(url, calls))
print(json.dumps({{"seconds": time.perf_counter() - started, "errors": errors,
                  "peak": tracemalloc.get_traced_memory()[1] if traced else 0}}))
"""


async def gather_sdk(base_url: str, calls: int) -> int:
    """``asyncio.gather`` over ``calls`` ``users.get`` on one default client; returns how many failed."""
    async with AuthPIAdmin(account_id="me", api_key=KEY, base_url=base_url) as admin:
        users = admin.issuer("iss_1").users
        results = await asyncio.gather(*(users.get(f"usr_{n}") for n in range(calls)), return_exceptions=True)
    return sum(isinstance(result, BaseException) for result in results)


async def gather_raw(base_url: str, calls: int) -> int:
    """The same with raw httpx behind a semaphore of its pool size (100), as a careful user writes it."""
    headers = {"authorization": f"Bearer {KEY}", "accept": "application/json"}
    slots = asyncio.Semaphore(100)
    async with httpx.AsyncClient(base_url=base_url) as http:

        async def get(n: int) -> dict[str, object]:
            async with slots:
                response = await http.get(f"/v1/accounts/me/issuers/iss_1/users/usr_{n}", headers=headers)
                response.raise_for_status()
                data: dict[str, object] = response.json()["data"]
                data["_etag"] = response.headers.get("etag")
                return data  # kept, as the SDK's answers are: the user wanted the users

        results = await asyncio.gather(*(get(n) for n in range(calls)), return_exceptions=True)
    return sum(isinstance(result, BaseException) for result in results)


def _child(side: str, base_url: str, calls: int, traced: bool) -> dict[str, float]:
    code = _CHILD.format(here=str(HERE))
    mode = "traced" if traced else "timed"
    output = subprocess.run(
        [sys.executable, "-c", code, side, base_url, str(calls), mode], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, float] = json.loads(output)
    if result["errors"]:
        raise RuntimeError(f"{side}: {result['errors']} of {calls} calls failed")
    return result


def many_at_once(calls: int, rounds: int) -> list[Row]:
    """Time and peak memory of ``calls`` concurrent gets, each side in a fresh process per round."""
    with serving([sys.executable, str(HERE / "canned_server.py")]) as base_url:
        times: dict[str, list[float]] = {"sdk": [], "raw": []}
        peaks: dict[str, list[float]] = {"sdk": [], "raw": []}
        for index in range(rounds):
            for side in ("sdk", "raw") if index % 2 == 0 else ("raw", "sdk"):
                times[side].append(_child(side, base_url, calls, traced=False)["seconds"])
                peaks[side].append(_child(side, base_url, calls, traced=True)["peak"])
    median = statistics.median
    time_detail = (
        f"{calls:,} users.get in one gather, no errors: SDK {median(times['sdk']):.2f} s vs raw httpx behind "
        f"Semaphore(100) {median(times['raw']):.2f} s; default clients; median of {rounds} rounds"
    )
    memory_detail = (
        f"traced peak: SDK {median(peaks['sdk']) / 2**20:.1f} MiB vs raw {median(peaks['raw']) / 2**20:.1f} MiB"
    )
    return [
        at_most(f"{calls:,} concurrent users.get: time / raw", ratios(times["sdk"], times["raw"]), 1.2, time_detail),
        at_most(
            f"{calls:,} concurrent users.get: peak memory / raw", ratios(peaks["sdk"], peaks["raw"]), 1.2, memory_detail
        ),
    ]


# ----------------------------------------------------------------------------------- socket throughput


def throughput(requests: int, concurrency: int, rounds: int) -> Row:
    """The SDK against raw httpx through identical injected clients, against the emulator in a process."""
    command = [sys.executable, "-m", "authpi_admin.testing", "serve", "--port", "0", "--api-key", KEY]
    with serving(command) as base_url:
        return asyncio.run(_measure_throughput(base_url, requests, concurrency, rounds))


async def _measure_throughput(base_url: str, requests: int, concurrency: int, rounds: int) -> Row:
    # Both sides send through identical httpx clients (the SDK's injected), so the ratio is the SDK's cost
    # and not pool dynamics; every connection is kept alive between bursts.
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with (
        httpx.AsyncClient(timeout=30, limits=limits) as sdk_http,
        httpx.AsyncClient(timeout=30, limits=limits) as raw,
    ):
        admin = AuthPIAdmin(account_id="me", api_key=KEY, base_url=base_url, http_client=sdk_http)
        issuer = await admin.issuers.create({"name": "bench"})
        user = await admin.issuer(issuer["id"]).users.create({"email": "bench@example.com"})
        users = admin.issuer(issuer["id"]).users
        url = f"{base_url}/v1/accounts/me/issuers/{issuer['id']}/users/{user['id']}"
        headers = {"authorization": f"Bearer {KEY}", "accept": "application/json", "user-agent": "bench"}

        async def raw_get() -> None:
            response = await raw.get(url, headers=headers)
            response.raise_for_status()
            data = response.json()["data"]
            data["_etag"] = response.headers.get("etag")

        async def sdk_get() -> None:
            await users.get(user["id"])

        rates: dict[str, list[float]] = {"sdk": [], "raw": []}
        for index in range(rounds + 1):  # the first round warms up
            for side in ("sdk", "raw") if index % 2 else ("raw", "sdk"):
                rate = await burst(sdk_get if side == "sdk" else raw_get, requests, concurrency)
                if index:
                    rates[side].append(rate)
    detail = f"SDK {statistics.median(rates['sdk']):.0f} req/s vs raw httpx {statistics.median(rates['raw']):.0f} req/s"
    name = f"socket throughput: {requests} GETs from {concurrency} tasks (pool of 20)"
    return at_least(name, ratios(rates["sdk"], rates["raw"]), 0.97, detail)


async def burst(call: Callable[[], Awaitable[None]], requests: int, concurrency: int) -> float:
    """Requests per second for ``requests`` calls shared by ``concurrency`` workers."""
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)
