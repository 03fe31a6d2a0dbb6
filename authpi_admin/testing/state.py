"""What the emulator remembers between requests, beside the stored objects: credentials, replays, writes,
the requests it answered."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from .clock import EmulatorClock
from .faults import Faults
from .records import Record
from .store import Store

__all__ = [
    "REQUEST_LOG_SIZE",
    "Credential",
    "Divergence",
    "EmulatorLimits",
    "EmulatorState",
    "RequestLog",
    "StoredAnswer",
    "WriteLog",
]

# How many of the latest requests the emulator remembers (older ones are forgotten: it may serve millions).
REQUEST_LOG_SIZE = 10_000


@dataclass(frozen=True)
class EmulatorLimits:
    """How much an emulator remembers, so that one serving for days holds what it holds on its first hour.

    Every log and history is capped; past its cap the oldest entry is forgotten first, so memory stops
    growing once the caps are reached (in the soak row of ``benchmarks/``, where half the requests leave an
    event behind, from 20,000 requests on). Stored objects that a user makes (issuers, users, ...) are not
    capped: only what grows by itself.
    """

    requests: int = REQUEST_LOG_SIZE
    """Requests in the request log (``GET /_emulator/requests``)."""
    writes: int = 10_000
    """Writes in [`Emulator.writes`][authpi_admin.testing.Emulator.writes] (``GET /_emulator/writes``)."""
    divergences: int = 10_000
    """Requests lenient mode accepted that today's API refuses
    ([`Emulator.divergences`][authpi_admin.testing.Emulator.divergences])."""
    replays: int = 10_000
    """Answers kept for ``Idempotency-Key`` replays: a key older than this many is a new request again."""
    events: int = 10_000
    """Events per account (the events API, and what deliveries are made of)."""
    deliveries: int = 10_000
    """Webhook deliveries per account, whatever their state."""
    tokens: int = 10_000
    """Access tokens issued (``issue_token``, ``POST /_emulator/tokens``); API keys are not counted."""

    def __post_init__(self) -> None:
        for limit in fields(self):
            value = getattr(self, limit.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"EmulatorLimits.{limit.name} must be a whole number of at least 1, not {value!r}")


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
    """One request the emulator answered (a control API request is not one): what came, and the status.

    ``headers`` are the request's (lower-case names), as `logged_headers` keeps them: credentials
    redacted, at most 32 headers of at most 256 characters each, so the log's memory stays bounded.
    """

    method: str
    path: str
    query: str  # as sent, undecoded
    status: int
    headers: dict[str, str]


# Headers that carry a credential: the request log keeps their scheme only ("Basic [redacted]").
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_HEADERS_LOGGED = 32
_HEADER_CHARACTERS_LOGGED = 256


def _redacted(value: str) -> str:
    scheme, space, _ = value.partition(" ")
    return f"{scheme} [redacted]" if space else "[redacted]"


def logged_headers(headers: dict[str, str]) -> dict[str, str]:
    """What the request log keeps of ``headers``: no credential, and a bounded amount of the rest."""
    items = headers.items() if len(headers) <= _HEADERS_LOGGED else list(headers.items())[:_HEADERS_LOGGED]
    return {
        name: _redacted(value) if name in _CREDENTIAL_HEADERS else value[:_HEADER_CHARACTERS_LOGGED]
        for name, value in items
    }


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
    limits: EmulatorLimits = field(default_factory=EmulatorLimits)
    credentials: dict[str, Credential] = field(default_factory=dict)
    issued_tokens: OrderedDict[str, None] = field(default_factory=OrderedDict)  # credential headers, oldest first
    idempotency: OrderedDict[tuple[str, str], StoredAnswer] = field(default_factory=OrderedDict)
    writes: deque[WriteLog] = field(init=False)
    divergences: deque[Divergence] = field(init=False)
    divergence_count: int = 0  # every divergence ever recorded: a mark that stays true past the cap
    requests: deque[RequestLog] = field(init=False)
    request_count: int = 0
    changes: int = 0  # grows with every change of state (writes, deliveries, control calls): what saving watches
    # called with (account, record) when a delivery waits for an attempt again (a redelivery): the
    # deliverer tracks it; new and loaded deliveries reach it through Store.watch. Nothing until set.
    deliveries_due: Callable[[str, Record], None] = field(default=lambda account, record: None)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.writes = deque(maxlen=self.limits.writes)
        self.divergences = deque(maxlen=self.limits.divergences)
        self.requests = deque(maxlen=self.limits.requests)

    def keep_replay(self, account: str, key: str, answer: StoredAnswer) -> None:
        """Keep the answer to an ``Idempotency-Key`` for replays, forgetting the oldest past the cap."""
        self.idempotency[(account, key)] = answer
        if len(self.idempotency) > self.limits.replays:
            self.idempotency.popitem(last=False)

    def diverged(self, divergence: Divergence) -> None:
        """Record a request lenient mode accepted that today's API refuses."""
        self.divergences.append(divergence)
        self.divergence_count += 1

    def divergences_since(self, mark: int) -> list[Divergence]:
        """The divergences recorded after `divergence_count` was ``mark`` (those still remembered)."""
        missed = self.divergence_count - mark
        return list(self.divergences)[-missed:] if missed > 0 else []

    def accept(self, header: str, credential: Credential) -> None:
        """Take ``header`` (``"bearer TOKEN"``, ``"basic ..."``) as ``credential``; an issued access token
        beyond the cap makes the oldest one unknown again."""
        self.credentials[header] = credential
        if credential.kind == "access_token":
            self.issued_tokens[header] = None
            self.issued_tokens.move_to_end(header)
            if len(self.issued_tokens) > self.limits.tokens:
                oldest, _ = self.issued_tokens.popitem(last=False)
                self.credentials.pop(oldest, None)
