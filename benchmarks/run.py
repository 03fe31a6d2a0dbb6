"""Performance harness: what the SDK costs over raw httpx, and its emulator over mocks, side by side in one run.

    uv run python benchmarks/run.py            # full run, writes benchmarks/results.md
    uv run python benchmarks/run.py --quick    # fewer rounds and calls, for a smoke check

Every row is the median of repeated, interleaved rounds after a warm-up, printed beside its target with
the spread (lowest and highest) of its rounds. Ratios compare sides measured in the same run; absolute
times are shown for context only, since they depend on the machine. The rows live in small modules:
``per_call`` (canned answers, no network), ``concurrency`` (a real socket), ``emulator_rows``, ``soak`` (a
served emulator after 20,000 and 40,000 requests), ``startup`` (clean-environment imports and the quick
start) and ``tracing_rows`` (OpenTelemetry imported without a provider, and tracing on).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from concurrency import many_at_once, throughput
from emulator_rows import as_a_test_double, create_growth, over_a_socket, server_stop, walk_growth
from harness import Row, table
from per_call import cache_hits, cache_misses, list_memory
from soak import flat_with_age
from startup import imports, quick_start
from tracing_rows import traced_cost, untraced_cost

RESULTS = Path(__file__).resolve().parent / "results.md"


def measure(quick: bool) -> list[Row]:
    """Every row, in the order of the README's table."""
    rounds, calls = (5, 300) if quick else (21, 2000)
    rows = asyncio.run(cache_hits(rounds, calls))
    rows.append(asyncio.run(cache_misses(rounds, calls)))
    rows += many_at_once(2_000 if quick else 10_000, 1 if quick else 3)
    rows.append(throughput(1_000, 100, 3 if quick else 15))
    rows += asyncio.run(as_a_test_double(rounds, calls))
    rows.append(asyncio.run(create_growth(3 if quick else 9)))
    rows.append(asyncio.run(walk_growth(3 if quick else 9)))
    rows.append(over_a_socket(2_000, 20, 3 if quick else 11))
    rows.append(server_stop(5 if quick else 21))
    rows += flat_with_age(4_000 if quick else 20_000)
    rows += imports(5 if quick else 15)
    rows.append(quick_start(3 if quick else 9))
    rows.append(list_memory(1 if quick else 3))
    rows.append(asyncio.run(untraced_cost(rounds, calls)))  # last: these import OpenTelemetry
    rows.append(asyncio.run(traced_cost(rounds, calls)))
    return rows


def main() -> int:
    """Measure, print the table, and (full runs only) write it to results.md; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke check, not for results.md)")
    args = parser.parse_args()
    rows = measure(args.quick)
    text = table(rows)
    print(text)
    if not args.quick:
        machine = subprocess.run(["uname", "-sm"], capture_output=True, text=True, check=False).stdout.strip()
        RESULTS.write_text(
            "# Benchmark results\n\n"
            f"Produced by `uv run python benchmarks/run.py` on {machine}, Python {sys.version.split()[0]}, "
            f"httpx {httpx.__version__}. Each row is the median of its rounds, beside the lowest and highest "
            "round; ratios are measured side by side in one run. See the modules under `benchmarks/` for how.\n\n"
            f"{text}\n"
        )
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
