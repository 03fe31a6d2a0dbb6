"""The emulator's own view of HTTP: a request as it arrived and the reply to send, with no framework.

The ASGI app (`asgi`, for uvicorn) and the in-process transport (`transport`) each turn their side's request into an
`Incoming` and send back the `Reply` the dispatcher gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["Incoming", "Reply", "first_values", "json_reply"]


@dataclass(slots=True)  # not frozen (slower to make, once a request); never changed once made
class Incoming:
    """One request: its method, percent-decoded path, raw query string, headers and body.

    ``headers`` has lower-case names, the first value of a repeated one. ``body`` is None when it was
    larger than the emulator reads (the dispatcher answers 413, after the credential is checked).
    """

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes | None

    def query(self) -> dict[str, str]:
        """The query's parameters (blank values kept; the last of a repeated name, as frameworks do)."""
        return dict(parse_qsl(self.query_string, keep_blank_values=True))


@dataclass(slots=True)
class Reply:
    """What to answer. ``cut`` starts the answer and then drops the connection (an injected fault)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    cut: bool = False

    def wire_headers(self) -> list[tuple[str, str]]:
        """``headers`` with the ``content-length`` an answer with a body carries (a cut one never ends)."""
        if self.cut or self.status < 200 or self.status in (204, 304):
            return list(self.headers)
        return [*self.headers, ("content-length", str(len(self.body)))]


# Made once: json.dumps with any non-default option builds a new encoder every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def json_reply(content: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    """``content`` as compact UTF-8 JSON (no NaN), with its content type."""
    body = _ENCODER.encode(content).encode()
    return Reply(status, body, (*headers, ("content-type", "application/json")))


def first_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Header pairs with lower-case names (as ASGI and httpx give them) as a dict; of a repeated name, the
    first value (read backwards, so the first one is written last)."""
    return {name: value for name, value in reversed(pairs)}
