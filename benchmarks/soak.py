"""Flat with age: a served emulator that holds a constant number of objects keeps constant memory and
constant time per request, however many requests it has served.

50 users live at any time; each cycle creates one over a real socket and deletes the oldest (two requests,
each a write with an event). The emulator is served by ``python -m authpi_admin.testing serve`` in a process
of its own, as a user runs it; its memory is that process's resident set (``VmRSS``) at 20,000 and at 40,000
requests, and time per request from the windows of requests just before each mark (the faster half of each
age's windows, matched by rank: the two ages run one after the other, so a slow stretch of the machine must
not read as age).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import Row, at_most

from authpi_admin import AuthPIAdmin

LIVE = 50
WINDOW = 1_000  # requests per timed window


def _resident(pid: int) -> int:
    """The resident memory of process ``pid``, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert found is not None
    return int(found.group(1)) * 1024


async def _soak(base_url: str, pid: int, marks: tuple[int, int]) -> dict[int, tuple[int, list[float]]]:
    """Run create+delete cycles to the last mark; at each mark the server's resident memory and the
    per-request times of the second half of the windows since the previous mark."""
    seen: dict[int, tuple[int, list[float]]] = {}
    async with AuthPIAdmin(api_key=("key_test", "sec_test"), base_url=base_url, account_id="acc_test") as admin:
        issuer = await admin.issuers.create({"name": "soak"})
        users = admin.issuer(issuer["id"]).users
        live = [(await users.create({"username_type": "username", "username": f"u{n}"}))["id"] for n in range(LIVE)]
        served, serial, windows = 0, LIVE, []
        for mark in marks:
            windows = []
            while served < mark:
                started = time.perf_counter()
                for _ in range(WINDOW // 2):
                    made = await users.create({"username_type": "username", "username": f"u{serial}"})
                    await users.delete(live.pop(0))
                    live.append(made["id"])
                    serial += 1
                windows.append((time.perf_counter() - started) / WINDOW)
                served += WINDOW
            seen[mark] = (_resident(pid), windows[len(windows) // 2 :])
    return seen


def flat_with_age(requests: int) -> list[Row]:
    """Memory and time per request at ``requests`` and at twice as many, served over a socket."""
    first, second = requests, 2 * requests
    command = [sys.executable, "-m", "authpi_admin.testing", "serve", "--strict", "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        listening = re.search(r"listening on (\S+)", server.stdout.readline())
        assert listening is not None, "the emulator did not say where it listens"
        seen = asyncio.run(_soak(f"http://{listening.group(1)}", server.pid, (first, second)))
    finally:
        server.terminate()
        server.wait(30)
    (memory_first, times_first), (memory_second, times_second) = seen[first], seen[second]
    memory = memory_second / memory_first
    # The two ages cannot be interleaved, so a slow stretch of the machine would read as age: compare the
    # faster half of each age's windows, matched by rank (fastest with fastest, ...).
    half = max(1, min(len(times_first), len(times_second)) // 2)
    fastest_first, fastest_second = sorted(times_first)[:half], sorted(times_second)[:half]
    by_rank = [later / earlier for earlier, later in zip(fastest_first, fastest_second, strict=True)]
    return [
        at_most(
            f"served emulator soak: resident memory at {second:,} / {first:,} requests",
            [memory],
            1.1,
            f"resident {memory_first / 2**20:.1f} MiB vs {memory_second / 2**20:.1f} MiB; {LIVE} users live, "
            "create+delete cycles over a socket to `serve` (default EmulatorLimits)",
        ),
        at_most(
            f"served emulator soak: time per request at {second:,} / {first:,} requests",
            by_rank,
            1.2,
            f"{statistics.median(times_first) * 1e6:.0f} us vs {statistics.median(times_second) * 1e6:.0f} us "
            f"per request (medians of windows of {WINDOW:,}); the ratio matches the faster half of each age's "
            "windows by rank",
        ),
    ]
