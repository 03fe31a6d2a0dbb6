#!/usr/bin/env python3
"""Write ``authpi_admin/generated/`` and the site's ``docs/api/`` reference pages from ``openapi/authpi-core.json``,
the one description of the API.

    python scripts/generate.py          # (re)write the generated package and reference pages
    python scripts/generate.py --check  # exit 1, listing the files, when they differ from the document

The document is read by ``authpi_admin/_openapi.py`` (the same reader the emulator and the tests use),
loaded by file path so that a broken generated package cannot stop its own regeneration. The source is
written by ``render.py`` and ``render_models.py`` beside this file, then passed through ruff (run by this
interpreter: ``python -m ruff``, so ruff need not be on PATH) so it reads like the hand-written code.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "openapi" / "authpi-core.json"
PACKAGE = ROOT / "authpi_admin" / "generated"
REFERENCE = ROOT / "docs" / "api"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, str(Path(__file__).resolve().parent))
openapi = _load("authpi_openapi_reader", ROOT / "authpi_admin" / "_openapi.py")
DocumentError = openapi.DocumentError

import render  # noqa: E402 - after the path is set
import render_models  # noqa: E402
import render_reference  # noqa: E402


def render_all(raw: dict[str, Any]) -> dict[str, str]:
    """Every generated file of the package for the document ``raw``; `DocumentError` if it is
    inconsistent."""
    try:
        return render.render_all(openapi.ApiDocument(raw))
    except render_models.ModelCycleError as error:
        raise DocumentError(str(error)) from None


def render_pages(raw: dict[str, Any]) -> dict[str, str]:
    """Every generated reference page of the site, by its path below ``docs/api/``."""
    return render_reference.render_reference(openapi.ApiDocument(raw))


def ruff_format(files: dict[str, str]) -> dict[str, str]:
    """``files`` tidied as the hand-written code is: imports sorted, then formatted. Ruff runs once per step
    over all of them (written to a temporary folder, with this project's configuration), not per file."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="authpi-generated-") as folder:
        tree = Path(folder) / "generated"
        sources = {relative: source for relative, source in files.items() if relative.endswith(".py")}
        for relative, source in sources.items():
            (tree / relative).parent.mkdir(parents=True, exist_ok=True)
            (tree / relative).write_text(source)
        for command in (["check", "--select", "I", "--fix", "--quiet"], ["format", "--quiet"]):
            _ruff([*command, "--config", str(ROOT / "pyproject.toml"), str(tree)])
        return {
            relative: (tree / relative).read_text() if relative in sources else source
            for relative, source in files.items()
        }


def _ruff(arguments: list[str]) -> None:
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *arguments], capture_output=True, text=True, check=False, cwd=ROOT
        )
    except OSError as error:
        raise SystemExit(f"could not run ruff: {error}") from None
    if result.returncode != 0:
        said = result.stderr + result.stdout
        raise SystemExit(f"ruff could not tidy the generated code (is ruff installed? run through `uv run`):\n{said}")


def _differences(target: Path, files: dict[str, str], patterns: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The files below ``target`` that differ from ``files`` (or are missing), and those no longer made."""
    existing = {str(p.relative_to(target)) for pattern in patterns for p in target.rglob(pattern)}
    stale = sorted(existing - set(files))
    changed = sorted(r for r, s in files.items() if not (target / r).exists() or (target / r).read_text() != s)
    return changed, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if the generated files are out of date")
    args = parser.parse_args(argv)
    raw = json.loads(DOCUMENT.read_text())
    try:
        targets = [
            ("authpi_admin/generated", PACKAGE, ruff_format(render_all(raw)), ("*.py", "*.json")),
            ("docs/api", REFERENCE, render_pages(raw), ("*.md",)),
        ]
    except DocumentError as error:
        print(f"{DOCUMENT.relative_to(ROOT)}: {error}", file=sys.stderr)
        return 2
    outdated = 0
    written = removed = total = 0
    for label, target, files, patterns in targets:
        changed, stale = _differences(target, files, patterns)
        total += len(files)
        if args.check:
            for relative in changed + stale:
                print(f"out of date: {label}/{relative}", file=sys.stderr)
            outdated += len(changed) + len(stale)
            continue
        for relative in stale:
            (target / relative).unlink()
        for relative in changed:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_text(files[relative])
        written, removed = written + len(changed), removed + len(stale)
    if args.check:
        if outdated:
            print("run: uv run python scripts/generate.py", file=sys.stderr)
            return 1
        print(f"generated code and reference pages are current ({total} files)")
        return 0
    print(f"wrote {written} file(s), removed {removed}, {total - written} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
