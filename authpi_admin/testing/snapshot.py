"""The files an emulator reads and writes: seed files (objects to start with) and state files (everything
it holds, kept across restarts of ``serve --state FILE``).

A seed file is the control API's seed body: ``{"objects": [{"collection": "/v1/accounts/...", "data":
{...}}]}``. A state file is written whole or not at all (a new file renamed over the old one), and one
that cannot be read back is an error that says so, never a silent start from nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .state import Credential

if TYPE_CHECKING:
    from .app import Emulator

__all__ = ["STATE_FORMAT", "EmulatorFileError", "load_seed", "load_state", "save_state"]

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
    file yet. :class:`EmulatorFileError` when it is not a state file this emulator wrote."""
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
            emulator.state.credentials.update(credentials)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise EmulatorFileError(f"the state file {path} is damaged ({type(error).__name__}: {error})") from None
    return True
