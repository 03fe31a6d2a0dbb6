"""Cold start: importing the SDK in a clean environment, the first model call, and the README's quick start."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import Row, at_most, ratios

ROOT = Path(__file__).resolve().parent.parent

_IMPORT = "import time; s = time.perf_counter(); {code}; print(time.perf_counter() - s)"
_HOOK = {"id": "wh_1", "account_id": "acc_1", "status": "active", "name": "n", "description": "",
         "url": "https://hooks.example.com", "auth_type": "none", "events": ["user.created"],
         "status_at": 1, "created_at": 1, "updated_at": 1}  # fmt: skip
_SDK_MODEL = (
    "import authpi_admin; from authpi_admin.generated.models import WebhookListItem; "
    f"WebhookListItem.model_validate({_HOOK!r})"
)
# What a hand-written client needs for the same: httpx, pydantic, and a model of the same fields.
_RAW_MODEL = (
    "import httpx, pydantic\n"
    "class Hook(pydantic.BaseModel):\n"
    "    model_config = pydantic.ConfigDict(frozen=True)\n"
    "    id: str; account_id: str; status: str; name: str; description: str; url: str; auth_type: str\n"
    "    events: list[str]; status_at: int; created_at: int; updated_at: int\n"
    f"Hook.model_validate({_HOOK!r})"
)


@contextmanager
def clean_environment() -> Iterator[Path]:
    """A new virtual environment holding only the built wheel and its dependencies; yields its python."""
    with tempfile.TemporaryDirectory(prefix="authpi-bench-") as folder:
        where = Path(folder)
        subprocess.run(["uv", "build", "--wheel", "--out-dir", str(where / "dist")], cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        wheel = next((where / "dist").glob("*.whl"))
        subprocess.run(["uv", "venv", "--quiet", "--python", sys.executable, str(where / "venv")], check=True)
        python = where / "venv" / "bin" / "python"
        subprocess.run(["uv", "pip", "install", "--quiet", "--python", str(python), str(wheel)], check=True)
        yield python


def _seconds(python: Path, code: str, *, bytecode: bool) -> float:
    flags = [] if bytecode else ["-B"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([str(python), *flags, "-c", _IMPORT.format(code=code)], capture_output=True, text=True,
                          check=True, env=env)  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def _side_by_side(python: Path, sdk: str, raw: str, runs: int, *, bytecode: bool) -> tuple[list[float], float, float]:
    sdk_times, raw_times = [], []
    for _ in range(runs):  # interleaved: a slow stretch of the machine hits both sides
        raw_times.append(_seconds(python, raw, bytecode=bytecode))
        sdk_times.append(_seconds(python, sdk, bytecode=bytecode))
    return ratios(sdk_times, raw_times), statistics.median(sdk_times), statistics.median(raw_times)


def _remove_bytecode(python: Path) -> None:
    for cache in python.parent.parent.rglob("__pycache__"):
        shutil.rmtree(cache)


def imports(runs: int) -> list[Row]:
    """Import time of the SDK against httpx, from source and from bytecode, and up to a first model."""
    rows = []
    with clean_environment() as python:
        _remove_bytecode(python)
        values, sdk, raw = _side_by_side(python, "import authpi_admin", "import httpx", runs, bytecode=False)
        detail = f"{sdk * 1000:.0f} ms vs {raw * 1000:.0f} ms; clean environment, no bytecode (compiled each run)"
        rows.append(at_most("import authpi_admin / import httpx, from source", values, 1.25, detail))
        site = next(python.parent.parent.glob("lib/python*/site-packages"))
        subprocess.run([str(python), "-m", "compileall", "-q", str(site)], check=True, capture_output=True)
        values, sdk, raw = _side_by_side(python, "import authpi_admin", "import httpx", runs, bytecode=True)
        detail = f"{sdk * 1000:.0f} ms vs {raw * 1000:.0f} ms; clean environment, compiled bytecode"
        rows.append(at_most("import authpi_admin / import httpx, compiled", values, 1.25, detail))
        values, sdk, raw = _side_by_side(python, _SDK_MODEL, _RAW_MODEL, runs, bytecode=True)
        detail = (
            f"{sdk * 1000:.0f} ms vs {raw * 1000:.0f} ms: import and validate one webhook, against httpx + "
            "pydantic + a model of the same fields; compiled"
        )
        rows.append(at_most("first model call / httpx + pydantic + one model", values, 1.25, detail))
    return rows


def quick_start(runs: int) -> Row:
    """Wall time of ``uv run examples/quickstart.py`` (the README's main job) in this warm environment."""
    venv_site = next((ROOT / ".venv").glob("lib/python*/site-packages"))
    for folder in (venv_site, ROOT / "authpi_admin", ROOT / "examples"):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True, capture_output=True)
    command = ["uv", "run", "examples/quickstart.py"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return at_most("quick start (uv run examples/quickstart.py), s", times, 0.6, f"{runs} runs, compiled bytecode")
