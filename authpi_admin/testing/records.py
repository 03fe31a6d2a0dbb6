"""The emulator's stored objects and its error answers: the two things every layer of it passes around."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Problem", "Record"]


@dataclass
class Problem(Exception):
    """An API error answer: raised anywhere in a handler, turned into the documented error body."""

    status: int
    error: str
    description: str
    fields: list[dict[str, str]] | None = field(default=None, kw_only=True)
    current_etag: str | None = field(default=None, kw_only=True)
    retry_after: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        super().__init__(self.description)


@dataclass
class Record:
    """One stored object: its public fields, the parent ids it lives under, and its version."""

    kind: str
    key: str
    data: dict[str, Any]
    parents: dict[str, str]
    seq: int
    version: int = 1
    etag: str = ""

    def touch(self) -> None:
        """Recompute the ETag after a change (it depends on the content and the version)."""
        digest = hashlib.sha256(f"{self.key}:{self.version}:{json.dumps(self.data, sort_keys=True)}".encode())
        self.etag = f'"{digest.hexdigest()[:20]}"'

    def public(self) -> dict[str, Any]:
        """A copy of the fields the API shows."""
        return dict(self.data)
