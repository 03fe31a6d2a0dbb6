"""What every benchmark row shares: the row itself, interleaved timing, and the table."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass


@dataclass
class Row:
    """One measured line of the table: the median of the rounds, and their spread."""

    name: str
    measured: float
    target: str
    met: bool
    spread: tuple[float, float]
    detail: str


def at_most(name: str, values: Sequence[float], limit: float, detail: str) -> Row:
    """A row whose median must be at most ``limit``."""
    median = statistics.median(values)
    return Row(name, median, f"<= {limit:g}", median <= limit, (min(values), max(values)), detail)


def at_least(name: str, values: Sequence[float], limit: float, detail: str) -> Row:
    """A row whose median must be at least ``limit``."""
    median = statistics.median(values)
    return Row(name, median, f">= {limit:g}", median >= limit, (min(values), max(values)), detail)


async def timed(call: Callable[[], Awaitable[None]], calls: int) -> float:
    """Seconds for ``calls`` calls made one after another."""
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return time.perf_counter() - started


async def interleaved(
    sides: dict[str, Callable[[], Awaitable[None]]], rounds: int, calls: int
) -> dict[str, list[float]]:
    """Seconds per call of each side, per round. Each round runs every side, starting from a different
    one each time, so a slow stretch of the machine hits all sides alike; two warm-up rounds first."""
    names = list(sides)
    for _ in range(2):
        for name in names:
            await timed(sides[name], calls)
    times: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            gc.collect()
            times[name].append(await timed(sides[name], calls) / calls)
    return times


def ratios(top: Sequence[float], bottom: Sequence[float]) -> list[float]:
    """Round by round ratios of two sides measured in the same rounds."""
    return [a / b for a, b in zip(top, bottom, strict=True)]


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| measure | ratio or value | target | met | spread of rounds | detail |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {row.name} | {row.measured:.3f} | {row.target} | {'yes' if row.met else 'NO'} "
        f"| {row.spread[0]:.3f}-{row.spread[1]:.3f} | {row.detail} |"
        for row in rows
    ]
    return "\n".join(lines)
