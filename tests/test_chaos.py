"""Chaos: 2,000 mixed operations from 50 tasks against the emulator over a real socket, 30% faults.

Every operation must succeed or raise a documented error, no write may be applied twice, and nothing
may be left open after close(). Bounded: a fixed number of operations, and a deadline.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import time
from typing import Any

import pytest

from authpi_admin import ApiError, AuthPIAdmin, NotFoundError
from authpi_admin.testing import Emulator, EmulatorServer

from .conftest import run_isolated

pytestmark = pytest.mark.chaos

OPERATIONS = 2_000
TASKS = 50
DEADLINE = 240.0
# The client's timeout: far above what a request takes on a loaded machine (no outcome may depend on the
# machine's speed), and below the latency fault, which it must cut short (a stalled answer, not a slow one).
TIMEOUT = 2.0
# (fault, probability); checked in order, together about 28% of requests
FAULTS: list[tuple[dict[str, Any], float]] = [
    ({"status": 429, "retry_after": 0}, 0.07),
    ({"status": 502}, 0.05),
    ({"status": 503}, 0.05),
    ({"status": 504}, 0.04),
    ({"drop": True}, 0.04),
    ({"latency": TIMEOUT + 1.0}, 0.01),  # past the client's timeout, and over before the server's stop grace
    ({"malformed": True}, 0.03),
]


class AttemptCounter(logging.Handler):
    """Counts the SDK's per-attempt debug records: retries are attempts beyond the first."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.attempts = 0
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno != logging.DEBUG:  # retries and give-ups are told at INFO as well
            return
        self.attempts += 1
        if record.args and isinstance(record.args, tuple) and record.args[4] > 1:  # the attempt number
            self.retries += 1


async def run_chaos(server: EmulatorServer, issuer: str) -> dict[str, Any]:
    outcomes: collections.Counter[str] = collections.Counter()
    created: dict[str, str] = {}  # idempotency key -> email, for writes the client saw succeed
    untyped: list[BaseException] = []
    rng = random.Random(7)
    plan = [rng.choice(["list", "get", "create", "update", "delete", "list_all", "events"]) for _ in range(OPERATIONS)]

    async with AuthPIAdmin(
        api_key="key_test",
        base_url=server.base_url,
        timeout=TIMEOUT,
        retries={"limit": 3, "delay": 0.01, "max_delay": 0.1},
    ) as admin:
        users = admin.issuer(issuer).users
        known: list[str] = []

        async def one(index: int, kind: str) -> None:
            key = f"chaos-{index}"
            target = rng.choice(known) if known else None
            try:
                if kind == "list":
                    page = await users.list(limit=20)
                    known.extend(u["id"] for u in page.data[:3])
                elif kind == "get" and target:
                    await users.get(target)
                elif kind == "create":
                    email = f"c{index}@example.com"
                    user = await users.create({"email": email}, idempotency_key=key)
                    created[key] = email
                    known.append(user["id"])
                elif kind == "update" and target:
                    await users.update(target, {"display_name": f"n{index}"}, idempotency_key=key)
                elif kind == "delete" and target:
                    await users.delete(target)
                elif kind == "list_all":
                    async for _ in users.list_all(limit=50):
                        pass
                else:
                    await admin.events.list(limit=10)
                outcomes["success"] += 1
            except NotFoundError:
                outcomes["typed:NotFoundError"] += 1  # deleted by another task meanwhile
                if target in known:
                    known.remove(target)
            except ApiError as error:
                outcomes[f"typed:{type(error).__name__}"] += 1
            except Exception as error:  # the point of the suite: there must be none
                untyped.append(error)

        async def worker(worker_index: int) -> None:
            for index in range(worker_index, OPERATIONS, TASKS):
                await one(index, plan[index])

        counter = AttemptCounter()
        log = logging.getLogger("authpi_admin")
        log.addHandler(counter)
        previous = log.level, log.propagate
        # the debug records go to the counter only: a failure prints the table below, not 2,500 log lines
        log.setLevel(logging.DEBUG)
        log.propagate = False
        try:
            async with asyncio.timeout(DEADLINE):
                await asyncio.gather(*(worker(i) for i in range(TASKS)))
        finally:
            log.removeHandler(counter)
            log.setLevel(previous[0])
            log.propagate = previous[1]
        pool = admin.http._http._transport._pool  # type: ignore[attr-defined]
    open_tasks = asyncio.all_tasks() - {asyncio.current_task()}
    return {
        "open_tasks": len(open_tasks),
        "outcomes": outcomes,
        "created": created,
        "untyped": untyped,
        "attempts": counter.attempts,
        "retries": counter.retries,
        "open_connections": len(pool.connections),
    }


def test_chaos() -> None:
    emulator = Emulator(seed=11)
    with EmulatorServer(emulator) as server:
        issuer = emulator.seed("/v1/accounts/me/issuers", {"name": "chaos"})["id"]
        for fault, probability in FAULTS:
            emulator.faults.add(probability=probability, **fault)
        started = time.monotonic()
        result = run_isolated(run_chaos(server, issuer))
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 5
        while server._server.server_state.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        server_connections = len(server._server.server_state.connections)

    writes_by_key = collections.Counter(w.idempotency_key for w in emulator.writes if w.idempotency_key)
    duplicated = sum(count - 1 for count in writes_by_key.values() if count > 1)
    # deletes are the only writes sent without a key; a delete applied twice would be a 404, not a write
    unkeyed_writes = [w for w in emulator.writes if w.idempotency_key is None and w.event_type != "user.deleted"]
    outcomes = result["outcomes"]
    typed = sum(v for k, v in outcomes.items() if k.startswith("typed:"))
    emails = {u.data["email"] for u in emulator.store.table("users", emulator.account_id).values()}
    lost = [email for email in result["created"].values() if email not in emails]
    deleted = {w.path.rsplit("/", 1)[1] for w in emulator.writes if w.event_type == "user.deleted"}

    # captured by pytest: shown when the test fails, or with -s
    print(f"\nchaos: {OPERATIONS} operations, {TASKS} tasks, {elapsed:.1f} s")
    print("| measure | count |\n|---|---|")
    rows = [
        ("operations", OPERATIONS),
        ("HTTP attempts", result["attempts"]),
        ("faults injected", emulator.faults.injected),
        ("retries", result["retries"]),
        ("successes", outcomes["success"]),
        ("typed failures", typed),
        ("untyped failures", len(result["untyped"])),
        ("duplicated writes", duplicated),
    ]
    rows += [(f"  {name.removeprefix('typed:')}", n) for name, n in sorted(outcomes.items()) if name != "success"]
    for name, value in rows:
        print(f"| {name} | {value} |")

    assert result["untyped"] == []
    assert outcomes["success"] + typed == OPERATIONS
    assert duplicated == 0
    assert unkeyed_writes == []
    assert emulator.faults.injected > 0.2 * result["attempts"]
    assert result["retries"] > 0
    assert outcomes["success"] > OPERATIONS // 2
    # a create the client saw succeed is stored once (unless a later delete in the run removed it)
    assert all(
        sum(1 for u in emulator.store.table("users", emulator.account_id).values() if u.data["email"] == email) <= 1
        for email in result["created"].values()
    )
    assert len(lost) <= len(deleted)
    assert result["open_connections"] == 0
    assert result["open_tasks"] == 0
    assert server_connections == 0
