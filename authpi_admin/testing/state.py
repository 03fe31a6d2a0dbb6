"""What the emulator remembers between requests, beside the stored objects: credentials, replays, writes,
the requests it answered."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .clock import EmulatorClock
from .faults import Faults
from .records import Record
from .store import Store

__all__ = ["REQUEST_LOG_SIZE", "Credential", "Divergence", "EmulatorState", "RequestLog", "StoredAnswer", "WriteLog"]

# How many of the latest requests the emulator remembers (older ones are forgotten: it may serve millions).
REQUEST_LOG_SIZE = 10_000


@dataclass
class Credential:
    """A bearer credential the emulator accepts."""

    account: str
    kind: str  # "api_key" or "access_token"
    expires_at: float | None = None
    key_id: str | None = None  # for an API key pair (sent as HTTP Basic): its id


@dataclass
class WriteLog:
    """One mutation the emulator applied (replays are not applied again, so they are not here)."""

    method: str
    path: str
    idempotency_key: str | None
    event_type: str | None


@dataclass(slots=True)  # not frozen (slower to make, once a request); never changed once made
class RequestLog:
    """One request the emulator answered (a control API request is not one): what came, and the status."""

    method: str
    path: str
    query: str  # as sent, undecoded
    status: int


@dataclass(frozen=True)
class Divergence:
    """A request lenient mode accepted that today's API refuses (strict mode answers it 401, 404 or 4xx),
    and why: the path from 0.3.0 code to code that runs against the live API."""

    method: str
    path: str
    reasons: tuple[str, ...]


@dataclass
class StoredAnswer:
    """The first answer to an ``Idempotency-Key``, replayed for the same request."""

    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class EmulatorState:
    """Everything one emulator holds; the lock guards it all (the server may answer from several threads)."""

    account_id: str
    store: Store
    faults: Faults
    clock: EmulatorClock = field(default_factory=EmulatorClock)
    strict: bool = False  # refuse what today's API refuses (see Emulator)
    credentials: dict[str, Credential] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], StoredAnswer] = field(default_factory=dict)
    writes: list[WriteLog] = field(default_factory=list)
    divergences: list[Divergence] = field(default_factory=list)
    requests: deque[RequestLog] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    request_count: int = 0
    # called with (account, record) when a delivery waits for an attempt again (a redelivery): the
    # deliverer tracks it; new and loaded deliveries reach it through Store.watch. Nothing until set.
    deliveries_due: Callable[[str, Record], None] = field(default=lambda account, record: None)
    lock: threading.RLock = field(default_factory=threading.RLock)
