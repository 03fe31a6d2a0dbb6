"""Performance harness: what the SDK costs over raw httpx, measured side by side in one run.

    uv run python benchmarks/run.py            # full run, writes benchmarks/results.md
    uv run python benchmarks/run.py --quick    # fewer rounds, for a smoke check

Every row is a ratio measured in this process and run (median of repeated, interleaved rounds after a
warm-up), printed beside its target. Absolute times are shown for context only: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from authpi_admin import AuthPIAdmin, Page
from authpi_admin.generated.models import WebhookListItem
from authpi_admin.user_agent import build_user_agent

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.md"
BASE = "https://api.authpi.dev"
KEY = "key_bench"
USERS = f"{BASE}/v1/accounts/me/issuers/iss_1/users"
WEBHOOKS = f"{BASE}/v1/accounts/me/webhooks"


@dataclass
class Row:
    """One measured line of the table."""

    name: str
    measured: float
    target: str
    met: bool
    detail: str


# ---------------------------------------------------------------------------------------- per-call overhead


def _user(n: int) -> dict[str, Any]:
    return {"id": f"usr_{n}", "email": f"user{n}@example.com", "display_name": f"User {n}", "status": "active"}


def _webhook(n: int) -> dict[str, Any]:
    return {
        "id": f"wh_{n}",
        "account_id": "acc_1",
        "status": "active",
        "name": f"hook {n}",
        "description": "",
        "url": "https://hooks.example.com",
        "auth_type": "none",
        "events": ["user.created"],
        "status_at": 1,
        "created_at": 1,
        "updated_at": 1,
    }


ANSWERS = {
    ("GET", "/v1/accounts/me/issuers/iss_1/users/usr_1"): json.dumps({"data": _user(1)}).encode(),
    ("PATCH", "/v1/accounts/me/issuers/iss_1/users/usr_1"): json.dumps({"data": _user(1)}).encode(),
    ("GET", "/v1/accounts/me/issuers/iss_1/users"): json.dumps(
        {"data": [_user(n) for n in range(25)], "has_more": True, "next_cursor": "c2"}
    ).encode(),
    ("GET", "/v1/accounts/me/webhooks"): json.dumps(
        {"data": [_webhook(n) for n in range(10)], "has_more": False, "next_cursor": None}
    ).encode(),
}
ANSWER_HEADERS = {"content-type": "application/json", "etag": '"v1"'}


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=ANSWERS[(request.method, request.url.path)], headers=ANSWER_HEADERS)


async def _per_call(rounds: int, calls: int) -> list[Row]:
    transport = httpx.MockTransport(_handler)
    raw = httpx.AsyncClient(transport=transport)
    sdk_http = httpx.AsyncClient(transport=transport)
    admin = AuthPIAdmin(account_id="me", api_key=KEY, http_client=sdk_http)
    users = admin.issuer("iss_1").users
    headers = {"authorization": f"Bearer {KEY}", "accept": "application/json", "user-agent": build_user_agent()}
    write_headers = {**headers, "content-type": "application/json"}
    body = {"display_name": "Bob"}

    async def raw_get() -> None:
        response = await raw.get(f"{USERS}/usr_1", headers=headers)
        data = response.json()["data"]
        data["_etag"] = response.headers.get("etag")

    async def raw_list() -> None:
        response = await raw.get(USERS, params={"limit": 25}, headers=headers)
        page = response.json()
        Page(data=page["data"], has_more=page["has_more"], next_cursor=page.get("next_cursor"))

    async def raw_update() -> None:
        content = json.dumps(body, separators=(",", ":")).encode()
        response = await raw.patch(f"{USERS}/usr_1", content=content, headers={**write_headers, "if-match": '"v1"'})
        data = response.json()["data"]
        data["_etag"] = response.headers.get("etag")

    async def raw_webhooks() -> None:
        response = await raw.get(WEBHOOKS, headers=headers)
        page = response.json()
        items = [WebhookListItem.model_validate(item) for item in page["data"]]
        Page(data=items, has_more=page["has_more"], next_cursor=page.get("next_cursor"))

    async def sdk_get() -> None:
        await users.get("usr_1")

    async def sdk_list() -> None:
        await users.list(limit=25)

    async def sdk_update() -> None:
        await users.update("usr_1", body, if_match='"v1"')

    async def sdk_webhooks() -> None:
        await admin.webhooks.list()

    pairs = [
        ("users.get", sdk_get, raw_get),
        ("users.list(limit=25)", sdk_list, raw_list),
        ("users.update(if_match=...)", sdk_update, raw_update),
        ("webhooks.list() (models)", sdk_webhooks, raw_webhooks),
    ]
    rows = []
    for name, sdk, baseline in pairs:
        ratio, sdk_us, raw_us = await _compare(sdk, baseline, rounds, calls)
        rows.append(
            Row(
                f"per-call overhead: {name}",
                ratio,
                "<= 1.02",
                ratio <= 1.02,
                f"SDK {sdk_us:.1f} us vs raw httpx {raw_us:.1f} us per call",
            )
        )
    await admin.close()
    await sdk_http.aclose()
    await raw.aclose()
    return rows


async def _timed(call: Callable[[], Awaitable[None]], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return time.perf_counter() - started


async def _compare(
    sdk: Callable[[], Awaitable[None]], raw: Callable[[], Awaitable[None]], rounds: int, calls: int
) -> tuple[float, float, float]:
    """Median of per-round ratios; rounds alternate which side goes first, so drift cancels out."""
    for _ in range(2):
        await _timed(sdk, calls)
        await _timed(raw, calls)
    ratios, sdk_times, raw_times = [], [], []
    for index in range(rounds):
        gc.collect()
        if index % 2:
            raw_time = await _timed(raw, calls)
            sdk_time = await _timed(sdk, calls)
        else:
            sdk_time = await _timed(sdk, calls)
            raw_time = await _timed(raw, calls)
        ratios.append(sdk_time / raw_time)
        sdk_times.append(sdk_time)
        raw_times.append(raw_time)
    per_call = 1e6 / calls
    return statistics.median(ratios), statistics.median(sdk_times) * per_call, statistics.median(raw_times) * per_call


# ------------------------------------------------------------------------------------ socket throughput


def _throughput(requests: int, concurrency: int, rounds: int) -> Row:
    """The emulator runs in its own process (uvicorn), so the client side has the interpreter to itself."""
    process = subprocess.Popen(
        [sys.executable, "-m", "authpi_admin.testing", "serve", "--port", "0", "--api-key", KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "AuthPI emulator listening on HOST:PORT"
        base_url = process.stdout.readline().split("base_url:", 1)[1].strip()
        return asyncio.run(_measure_throughput(base_url, requests, concurrency, rounds))
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _measure_throughput(base_url: str, requests: int, concurrency: int, rounds: int) -> Row:
    # Both sides send through identical httpx clients (the SDK's injected), so the ratio is the SDK's cost
    # and not pool dynamics: httpx's pool does work per request that grows with its open connections,
    # and how many a burst opens varies from run to run. Every connection is kept alive between bursts.
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

        async def burst(call: Callable[[], Awaitable[None]]) -> float:
            queue = iter(range(requests))

            async def worker() -> None:
                for _ in queue:
                    await call()

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return requests / (time.perf_counter() - started)

        await burst(sdk_get)
        await burst(raw_get)
        ratios, sdk_rates, raw_rates = [], [], []
        for index in range(rounds):
            if index % 2:
                raw_rate, sdk_rate = await burst(raw_get), await burst(sdk_get)
            else:
                sdk_rate, raw_rate = await burst(sdk_get), await burst(raw_get)
            ratios.append(sdk_rate / raw_rate)
            sdk_rates.append(sdk_rate)
            raw_rates.append(raw_rate)
    ratio = statistics.median(ratios)
    return Row(
        f"socket throughput: {requests} GETs from {concurrency} tasks (pool of 20)",
        ratio,
        ">= 0.97",
        ratio >= 0.97,
        f"SDK {statistics.median(sdk_rates):.0f} req/s vs raw httpx {statistics.median(raw_rates):.0f} req/s",
    )


# ------------------------------------------------------------------------------------------ import cost


def _import_time(module: str, runs: int) -> float:
    code = f"import time; s = time.perf_counter(); import {module}; print(time.perf_counter() - s)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def _import_cost(runs: int) -> Row:
    # interleave so a slow stretch of the machine hits both sides
    sdk, raw = [], []
    for _ in range(runs):
        raw.append(_import_time("httpx", 1))
        sdk.append(_import_time("authpi_admin", 1))
    ratio = statistics.median(sdk) / statistics.median(raw)
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, authpi_admin; print('pydantic' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Row(
        "import authpi_admin / import httpx",
        ratio,
        "<= 1.25",
        ratio <= 1.25,
        f"{statistics.median(sdk) * 1000:.0f} ms vs {statistics.median(raw) * 1000:.0f} ms "
        f"(median of {runs}); pydantic loaded at import: {loaded}",
    )


# ------------------------------------------------------------------------------------ list_all memory


def _paged_transport(total: int, page_size: int) -> httpx.MockTransport:
    """Pages made on demand from the cursor, so the transport itself holds nothing."""

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor") or 0)
        end = min(start + page_size, total)
        body = {
            "data": [_user(n) for n in range(start, end)],
            "has_more": end < total,
            "next_cursor": str(end) if end < total else None,
        }
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


async def _walk(total: int, page_size: int) -> int:
    async with httpx.AsyncClient(transport=_paged_transport(total, page_size)) as http:
        admin = AuthPIAdmin(account_id="me", api_key=KEY, http_client=http)
        count = 0
        async for _ in admin.issuer("iss_1").users.list_all(limit=page_size):
            count += 1
    assert count == total
    return count


async def _peak_during(total: int, page_size: int) -> int:
    gc.collect()
    tracemalloc.reset_peak()
    await _walk(total, page_size)
    return tracemalloc.get_traced_memory()[1]


async def _memory() -> Row:
    """Peak traced memory during a walk of 1,000 items and during one of 100,000, in one traced process.

    A first long walk (traced, not measured) fills the bounded caches of the standard library that every
    distinct page URL touches (urllib's URL-split cache, the regex cache), so both measured walks start
    from the same steady state, and the ratio shows only what grows with the number of items.
    """
    tracemalloc.start()
    try:
        await _walk(100_000, 100)
        small = await _peak_during(1_000, 100)
        large = await _peak_during(100_000, 100)
    finally:
        tracemalloc.stop()
    ratio = large / small
    return Row(
        "list_all peak memory: 100,000 / 1,000 items",
        ratio,
        "<= 1.5",
        ratio <= 1.5,
        f"peak {large / 1024:.0f} KiB vs {small / 1024:.0f} KiB (pages of 100)",
    )


# ----------------------------------------------------------------------------------- emulator growth


def _seeded_emulator(users: int) -> Any:
    from authpi_admin.testing import Emulator

    emulator = Emulator()
    emulator.seed("/v1/accounts/me/issuers", {"id": "i_1", "name": "bench"})
    for n in range(users):
        emulator.seed("/v1/accounts/me/issuers/i_1/users", {"email": f"seed{n}@example.com"})
    return emulator


async def _creates(emulator: Any, count: int, tag: str) -> float:
    """Seconds per create through the SDK, in process."""
    async with emulator.client(account_id="me") as admin:
        users = admin.issuer("i_1").users
        started = time.perf_counter()
        for n in range(count):
            await users.create({"email": f"{tag}{n}@example.com"})
        return (time.perf_counter() - started) / count


async def _create_growth(rounds: int) -> Row:
    """A create in a collection of 5,000 users against one in a collection of 100: the store's indexes."""
    small, large = _seeded_emulator(100), _seeded_emulator(5_000)
    ratios = []
    for index in range(rounds):  # interleaved, each round on fresh names
        at_small = await _creates(small, 100, f"s{index}_")
        at_large = await _creates(large, 100, f"l{index}_")
        ratios.append(at_large / at_small)
    ratio = statistics.median(ratios)
    detail = f"median of {rounds} rounds of 100 creates; spread {min(ratios):.2f}-{max(ratios):.2f}"
    return Row("emulator create at 5,000 users / at 100", ratio, "<= 1.2", ratio <= 1.2, detail)


async def _walk_users(emulator: Any) -> float:
    """Seconds per item of ``list_all`` over every user, pages of 20, in process."""
    async with emulator.client(account_id="me") as admin:
        started = time.perf_counter()
        walked = sum([1 async for _ in admin.issuer("i_1").users.list_all(limit=20)])
        return (time.perf_counter() - started) / walked


async def _walk_growth(rounds: int) -> Row:
    """Walking 5,000 users against walking 100, per item: a page should cost the page, not the collection."""
    small, large = _seeded_emulator(100), _seeded_emulator(5_000)
    await _walk_users(small)  # warm-up
    ratios = [await _walk_users(large) / await _walk_users(small) for _ in range(rounds)]
    ratio = statistics.median(ratios)
    detail = f"per item, pages of 20; median of {rounds} rounds; spread {min(ratios):.2f}-{max(ratios):.2f}"
    return Row("emulator list_all per item: 5,000 users / 100", ratio, "<= 1.2", ratio <= 1.2, detail)


# ------------------------------------------------------------------------------------------------ report


def _table(rows: list[Row]) -> str:
    lines = ["| measure | ratio | target | met | detail |", "|---|---|---|---|---|"]
    lines += [
        f"| {row.name} | {row.measured:.3f} | {row.target} | {'yes' if row.met else 'NO'} | {row.detail} |"
        for row in rows
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke check, not for results.md)")
    args = parser.parse_args()
    rounds, calls = (5, 300) if args.quick else (21, 2000)
    rows = asyncio.run(_per_call(rounds, calls))
    rows.append(_throughput(1_000, 100, 3 if args.quick else 15))
    rows.append(_import_cost(5 if args.quick else 10))
    rows.append(asyncio.run(_memory()))
    rows.append(asyncio.run(_create_growth(3 if args.quick else 9)))
    rows.append(asyncio.run(_walk_growth(3 if args.quick else 9)))
    table = _table(rows)
    print(table)
    if not args.quick:
        machine = subprocess.run(["uname", "-sm"], capture_output=True, text=True, check=False).stdout.strip()
        RESULTS.write_text(
            "# Benchmark results\n\n"
            f"Produced by `uv run python benchmarks/run.py` on {machine}, Python {sys.version.split()[0]}, "
            f"httpx {httpx.__version__}. Ratios are measured side by side in one run; see the script for how.\n\n"
            f"{table}\n"
        )
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
