"""An mkdocs hook: the performance guide's table and plot, drawn from ``benchmarks/results.md`` at build time.

The guide holds a marker where they go, so the site shows the numbers of the last full benchmark run and
never a copy that has gone stale. The plot is plain SVG: one bar per row, its measured value beside a tick
at its target, green where the target is met.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

MARKER = re.compile(r"<!-- benchmarks:[^>]*-->")
_ROW_HEIGHT = 26
_LABEL_WIDTH = 430
_BAR_WIDTH = 330


def read_results(path: Path) -> tuple[str, list[list[str]]]:
    """The results file's table: its header line and its rows (each a list of cells)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    if len(lines) < 3:
        raise ValueError(f"{path} holds no results table")
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    return lines[0], rows


def _target(text: str) -> tuple[str, float] | None:
    match = re.fullmatch(r"(<=|>=)\s*([0-9.]+)", text)
    return (match.group(1), float(match.group(2))) if match else None


def plot(rows: list[list[str]]) -> str:
    """An SVG of every row with a numeric target: its value against the target, on a scale of its own."""
    drawn = [(row, _target(row[2])) for row in rows]
    drawn = [(row, target) for row, target in drawn if target is not None]
    height = _ROW_HEIGHT * len(drawn) + 30
    width = _LABEL_WIDTH + _BAR_WIDTH + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="Benchmark results against their targets" font-family="sans-serif" font-size="12">'
    ]
    for index, (row, (direction, target)) in enumerate(drawn):
        value = float(row[1])
        met = row[3] == "yes"
        scale = max(value, target) * 1.15 or 1.0
        y = 20 + index * _ROW_HEIGHT
        bar = _BAR_WIDTH * value / scale
        tick = _LABEL_WIDTH + _BAR_WIDTH * target / scale
        colour = "#2e7d32" if met else "#c62828"
        label = html.escape(row[0])
        parts += [
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end">{label}</text>',
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{bar:.1f}" height="14" fill="{colour}"/>',
            f'<line x1="{tick:.1f}" x2="{tick:.1f}" y1="{y}" y2="{y + 20}" stroke="#212121" stroke-width="2"/>',
            f'<text x="{_LABEL_WIDTH + _BAR_WIDTH + 8}" y="{y + 13}">{value:g} ({direction} {target:g})</text>',
        ]
    parts.append(
        f'<text x="{_LABEL_WIDTH}" y="{height - 4}" fill="#616161">bar: measured; tick: target; '
        "green: met, red: missed</text></svg>"
    )
    return "".join(parts)


def render(path: Path) -> str:
    """The table (without the detail column, which the results file keeps) and the plot, as Markdown."""
    _, rows = read_results(path)
    table = ["| measure | ratio or value | target | met | spread of rounds |", "| --- | --- | --- | --- | --- |"]
    table += [f"| {' | '.join(row[:5])} |" for row in rows]
    return "\n".join(table) + "\n\n" + plot(rows) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs calls this for every page: fill the marker, where there is one."""
    if not MARKER.search(markdown):
        return markdown
    results = Path(config["config_file_path"]).parent / "benchmarks" / "results.md"
    return MARKER.sub(lambda _: render(results), markdown)
