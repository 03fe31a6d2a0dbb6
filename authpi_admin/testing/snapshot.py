"""The files an emulator reads and writes: seed files (objects to start with) and state files (everything
it holds, kept across restarts of ``serve --state FILE``).

A seed file is the control API's seed body: ``{"objects": [{"collection": "/v1/accounts/...", "data":
{...}}]}``. A state file is written whole or not at all (a new file renamed over the old one), and one
that cannot be read back is an error that says so, never a silent start from nothing.

What a state file keeps: every stored object with its version and sequence number (so ETags, cursors and
ids go on), the id generator's state, the credentials (API keys and issued tokens with their expiry), and
the clock (frozen at its time, or its offset from the real time). Not kept: the request log, writes,
divergences, idempotency replays and faults. `StateSaver` writes it while it changes, so a crash
or a kill loses at most one interval.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .state import Credential

if TYPE_CHECKING:
    from .app import Emulator

__all__ = ["STATE_FORMAT", "EmulatorFileError", "StateSaver", "check_writable", "load_seed", "load_state", "save_state"]

STATE_FORMAT = "authpi-emulator-state/1"
"""What a state file says it is: its format and version."""


class EmulatorFileError(Exception):
    """A seed or state file the emulator cannot use: what file, and why."""


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise EmulatorFileError(f"cannot read the {what} {path}: {error.strerror or error}") from None
    except ValueError as error:  # not UTF-8, or not JSON
        raise EmulatorFileError(f"the {what} {path} is not JSON: {error}") from None


def load_seed(emulator: Emulator, path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Store the objects of the seed file at ``path``; what was stored."""
    path = Path(path)
    content = _read_json(path, "seed file")
    objects = content.get("objects") if isinstance(content, dict) else None
    if not isinstance(objects, list):
        raise EmulatorFileError(f'the seed file {path} must hold {{"objects": [{{"collection": ..., "data": ...}}]}}')
    try:
        return emulator.seed_objects(objects)
    except ValueError as error:
        raise EmulatorFileError(f"the seed file {path}: {error}") from None


def save_state(emulator: Emulator, path: str | os.PathLike[str]) -> None:
    """Write everything ``emulator`` holds to ``path``, atomically: a reader (or a crash) sees the old file
    or the new one, never half of one."""
    path = Path(path)
    with emulator.state.lock:
        content = {
            "format": STATE_FORMAT,
            "account_id": emulator.account_id,
            "store": emulator.store.dump(),
            "credentials": [
                {"header": header, **vars(credential)} for header, credential in emulator.state.credentials.items()
            ],
            "clock": emulator.clock.state(),
        }
        text = json.dumps(content, ensure_ascii=False, allow_nan=False)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_state(emulator: Emulator, path: str | os.PathLike[str]) -> bool:
    """Hold exactly what the state file at ``path`` holds; False (and nothing changed) when there is no such
    file yet. [`EmulatorFileError`][authpi_admin.testing.EmulatorFileError] when it is not a state file this emulator
    wrote."""
    path = Path(path)
    if not path.exists():
        return False
    content = _read_json(path, "state file")
    if not isinstance(content, dict) or content.get("format") != STATE_FORMAT:
        raise EmulatorFileError(f"{path} is not an emulator state file ({STATE_FORMAT})")
    try:
        credentials = {item.pop("header"): Credential(**item) for item in content["credentials"]}
        with emulator.state.lock:
            emulator.store.load(content["store"])
            for header, credential in credentials.items():
                emulator.state.accept(header, credential)
            if "clock" in content:  # files from before the clock was kept run on the real time
                emulator.clock.restore(content["clock"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise EmulatorFileError(f"the state file {path} is damaged ({type(error).__name__}: {error})") from None
    return True


def check_writable(path: str | os.PathLike[str]) -> None:
    """[`EmulatorFileError`][authpi_admin.testing.EmulatorFileError] unless a state file can be written at ``path`` (its
    folder exists and takes
    a new file, and the path is no folder): said at start, not found out at stop with everything lost."""
    path = Path(path)
    if path.is_dir():
        raise EmulatorFileError(f"cannot write the state file {path}: it is a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
    except OSError as error:
        raise EmulatorFileError(f"cannot write the state file {path}: {error.strerror or error}") from None
    os.close(handle)
    Path(probe).unlink(missing_ok=True)


class StateSaver:
    """Writes an emulator's state to a file every ``interval`` seconds while it changes, and once more on
    [`stop()`][authpi_admin.testing.EmulatorServer.stop]; each write is atomic (`save_state`). A write that fails is
    said in one line on stderr and tried again at the next interval: the emulator keeps serving. ``restored``: the file
    holds
    the emulator's state already (it was just loaded from it), so nothing is written until it changes."""

    def __init__(
        self, emulator: Emulator, path: str | os.PathLike[str], interval: float, *, restored: bool = False
    ) -> None:
        self._emulator = emulator
        self._path = Path(path)
        self._interval = interval
        # the change count the file holds (None: the file does not hold this emulator's state yet)
        self._saved_at: int | None = emulator.state.changes if restored else None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="authpi-emulator-state", daemon=True)

    def start(self) -> StateSaver:
        self._thread.start()
        return self

    def save_if_changed(self) -> bool:
        """Write the state if it changed since the last write; whether it was written (False on failure)."""
        changes = self._emulator.state.changes
        if changes == self._saved_at:
            return True
        try:
            save_state(self._emulator, self._path)
        except OSError as error:
            print(f"warning: cannot write the state file {self._path}: {error.strerror or error}", file=sys.stderr)
            return False
        self._saved_at = changes
        return True

    def stop(self) -> bool:
        """Stop the periodic writes and write what changed since the last; whether that last write worked."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.save_if_changed()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self.save_if_changed()
