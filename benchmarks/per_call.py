"""What one call costs over raw httpx, with canned answers (no network): the SDK's own cost, and memory."""

from __future__ import annotations

import gc
import itertools
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from harness import Row, at_most, interleaved, ratios

from authpi_admin import AuthPIAdmin, Page
from authpi_admin.generated.models import WebhookListItem
from authpi_admin.user_agent import build_user_agent

BASE = "https://api.authpi.dev"
KEY = "key_bench"
USERS = f"{BASE}/v1/accounts/me/issuers/iss_1/users"
WEBHOOKS = f"{BASE}/v1/accounts/me/webhooks"


def user(n: int) -> dict[str, Any]:
    """A user object as the API answers it."""
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


ONE_USER = json.dumps({"data": user(1)}).encode()
USER_PAGE = json.dumps({"data": [user(n) for n in range(25)], "has_more": True, "next_cursor": "c2"}).encode()
WEBHOOK_PAGE = json.dumps({"data": [_webhook(n) for n in range(10)], "has_more": False, "next_cursor": None}).encode()
ANSWER_HEADERS = {"content-type": "application/json", "etag": '"v1"'}
UPDATE = {"display_name": "Bob"}


def _canned(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.endswith("/webhooks"):
        body = WEBHOOK_PAGE
    elif path.endswith("/users") and request.method == "GET":
        body = USER_PAGE
    else:
        body = ONE_USER
    return httpx.Response(200, content=body, headers=ANSWER_HEADERS)


def _headers() -> dict[str, str]:
    return {"authorization": f"Bearer {KEY}", "accept": "application/json", "user-agent": build_user_agent()}


Call = Callable[[], Awaitable[None]]


def _raw_calls(raw: httpx.AsyncClient) -> dict[str, Call]:
    """What a user writes by hand with httpx for each measured call, the SDK's work included."""
    headers = _headers()
    write_headers = {**headers, "content-type": "application/json", "if-match": '"v1"'}

    async def get() -> None:
        response = await raw.get(f"{USERS}/usr_1", headers=headers)
        data = response.json()["data"]
        data["_etag"] = response.headers.get("etag")

    async def list_page() -> None:
        response = await raw.get(USERS, params={"limit": 25}, headers=headers)
        page = response.json()
        Page(data=page["data"], has_more=page["has_more"], next_cursor=page.get("next_cursor"))

    async def update() -> None:
        content = json.dumps(UPDATE, separators=(",", ":")).encode()
        response = await raw.patch(f"{USERS}/usr_1", content=content, headers=write_headers)
        data = response.json()["data"]
        data["_etag"] = response.headers.get("etag")

    async def webhooks() -> None:
        response = await raw.get(WEBHOOKS, headers=headers)
        page = response.json()
        items = [WebhookListItem.model_validate(item) for item in page["data"]]
        Page(data=items, has_more=page["has_more"], next_cursor=page.get("next_cursor"))

    return {"users.get": get, "users.list(limit=25)": list_page, "users.update(if_match=...)": update,
            "webhooks.list() (models)": webhooks}  # fmt: skip


def _sdk_calls(admin: AuthPIAdmin) -> dict[str, Call]:
    """The same calls through the SDK."""
    users = admin.issuer("iss_1").users

    async def get() -> None:
        await users.get("usr_1")

    async def list_page() -> None:
        await users.list(limit=25)

    async def update() -> None:
        await users.update("usr_1", UPDATE, if_match='"v1"')

    async def webhooks() -> None:
        await admin.webhooks.list()

    return {"users.get": get, "users.list(limit=25)": list_page, "users.update(if_match=...)": update,
            "webhooks.list() (models)": webhooks}  # fmt: skip


async def cache_hits(rounds: int, calls: int) -> list[Row]:
    """The same URL every call (the SDK's parsed-URL cache hits), both sides on one injected client kind."""
    transport = httpx.MockTransport(_canned)
    raw = httpx.AsyncClient(transport=transport)
    admin = AuthPIAdmin(account_id="me", api_key=KEY, http_client=httpx.AsyncClient(transport=transport))
    raw_calls, sdk_calls = _raw_calls(raw), _sdk_calls(admin)
    rows = []
    for name, sdk in sdk_calls.items():
        times = await interleaved({"sdk": sdk, "raw": raw_calls[name]}, rounds, calls)
        detail = f"SDK {_us(times['sdk'])} vs raw httpx {_us(times['raw'])} per call, same URL each call"
        rows.append(at_most(f"per call, cache hit: {name}", ratios(times["sdk"], times["raw"]), 1.02, detail))
    await admin.close()
    await raw.aclose()
    return rows


async def cache_misses(rounds: int, calls: int) -> Row:
    """``users.get`` with a new id every call, on the clients each side makes by default (httpx's cookie
    jar and all on the raw side), the network swapped for the same canned answer on both."""
    transport = httpx.MockTransport(_canned)
    raw = httpx.AsyncClient()
    raw._transport = transport  # as a user writes it, minus the network
    admin = AuthPIAdmin(account_id="me", api_key=KEY)
    admin.http._http._transport = transport
    users = admin.issuer("iss_1").users
    headers = _headers()
    ids = itertools.count()

    async def raw_get() -> None:
        response = await raw.get(f"{USERS}/usr_{next(ids)}", headers=headers)
        data = response.json()["data"]
        data["_etag"] = response.headers.get("etag")

    async def sdk_get() -> None:
        await users.get(f"usr_{next(ids)}")

    times = await interleaved({"sdk": sdk_get, "raw": raw_get}, rounds, calls)
    await admin.close()
    await raw.aclose()
    detail = f"SDK {_us(times['sdk'])} vs naive raw httpx {_us(times['raw'])} per call; default clients"
    return at_most("per call, new id each call: users.get", ratios(times["sdk"], times["raw"]), 0.75, detail)


def _us(seconds: list[float]) -> str:
    return f"{sorted(seconds)[len(seconds) // 2] * 1e6:.1f} us"


# ------------------------------------------------------------------------------------ list_all memory


def _paged_transport(total: int, page_size: int) -> httpx.MockTransport:
    """Pages made on demand from the cursor, so the transport itself holds nothing."""

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor") or 0)
        end = min(start + page_size, total)
        body = {
            "data": [user(n) for n in range(start, end)],
            "has_more": end < total,
            "next_cursor": str(end) if end < total else None,
        }
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


async def _walk(total: int, page_size: int) -> None:
    async with httpx.AsyncClient(transport=_paged_transport(total, page_size)) as http:
        admin = AuthPIAdmin(account_id="me", api_key=KEY, http_client=http)
        count = 0
        async for _ in admin.issuer("iss_1").users.list_all(limit=page_size):
            count += 1  # counted, not collected: a list of the items would be what the peak measures
    assert count == total


async def _peak_during(total: int, page_size: int) -> int:
    gc.collect()
    tracemalloc.reset_peak()
    await _walk(total, page_size)
    return tracemalloc.get_traced_memory()[1]


def list_memory(rounds: int) -> Row:
    """The list_all memory row, measured in a fresh process: what earlier rows left behind in this one
    (caches, pools, pytest-httpx's patches) would be measured too."""
    code = (
        "import asyncio, dataclasses, json, sys; sys.path.insert(0, sys.argv[1]); from per_call import _list_memory; "
        "print(json.dumps(dataclasses.asdict(asyncio.run(_list_memory(int(sys.argv[2]))))))"
    )
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run([sys.executable, "-c", code, here, str(rounds)], capture_output=True, text=True, check=True)
    fields = json.loads(done.stdout)
    fields["spread"] = tuple(fields["spread"])
    return Row(**fields)


async def _list_memory(rounds: int) -> Row:
    """Peak traced memory during a walk of 100,000 items against one of 1,000, in one traced process.

    A first long walk (traced, not measured) fills the bounded caches of the standard library that every
    distinct page URL touches (urllib's URL-split cache, the regex cache), so the measured walks start
    from the same steady state and the ratio shows only what grows with the number of items.
    """
    tracemalloc.start()
    try:
        await _walk(100_000, 100)
        pairs = [(await _peak_during(100_000, 100), await _peak_during(1_000, 100)) for _ in range(rounds)]
    finally:
        tracemalloc.stop()
    large = sorted(p[0] for p in pairs)[len(pairs) // 2]
    small = sorted(p[1] for p in pairs)[len(pairs) // 2]
    detail = f"peak {large / 1024:.0f} KiB vs {small / 1024:.0f} KiB (pages of 100)"
    return at_most("list_all peak memory: 100,000 / 1,000 items", [a / b for a, b in pairs], 1.5, detail)
