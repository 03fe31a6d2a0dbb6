"""Retries: the ``retries`` option ([`RetryConfig`][authpi_admin.retries.RetryConfig]) and the policy that applies it
([`RetryPolicy`][authpi_admin.retries.RetryPolicy])."""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from ._retry_after import parse_retry_after
from .errors import AUTO_RETRIED_STATUSES, ConfigurationError

__all__ = ["RETRYABLE_METHODS", "RetryConfig", "RetryEvent", "RetryPolicy", "parse_retry_after"]

# Methods that are safe to send again: the only ones retried automatically.
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Transport failures worth another attempt of a read: the request may not have reached the server.
RETRYABLE_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

_OPTIONS = ("limit", "delay", "backoff", "max_delay")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class RetryConfig:
    """How read-only requests are retried on 429, 502, 503, 504 and network failures.

    At most ``limit`` retries (so ``limit + 1`` attempts). Before retry ``n`` (from 0) the wait is
    ``delay * 2**n`` (``"exponential"``) or ``delay * (n + 1)`` (``"linear"``), shortened by up to a quarter
    at random so many clients do not retry in step, and never longer than ``max_delay``. A ``Retry-After``
    from the server is used as it is, unless it asks for more than ``max_delay``: then the error is raised
    at once rather than sleeping that long.
    """

    limit: int = 3
    delay: float = 1.0
    backoff: Literal["exponential", "linear"] = "exponential"
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or not 0 <= self.limit <= 100:
            raise ConfigurationError("retries['limit'] must be a whole number from 0 to 100")
        if not _is_number(self.delay) or self.delay < 0:
            raise ConfigurationError("retries['delay'] must be a number of seconds, 0 or more")
        if self.backoff not in ("exponential", "linear"):
            raise ConfigurationError("retries['backoff'] must be 'exponential' or 'linear'")
        if not _is_number(self.max_delay) or self.max_delay < 0:
            raise ConfigurationError("retries['max_delay'] must be a number of seconds, 0 or more")

    @classmethod
    def from_option(cls, retries: bool | Mapping[str, Any] | RetryConfig | None) -> RetryConfig | None:
        """Read the ``retries`` option: None/True for the defaults, False for none, or a dict of overrides."""
        if retries is None or retries is True:
            return cls()
        if retries is False:
            return None
        if isinstance(retries, RetryConfig):
            return retries
        if isinstance(retries, Mapping):
            unknown = set(retries) - set(_OPTIONS)
            if unknown:
                raise ConfigurationError(f"Unknown retries option(s): {', '.join(sorted(map(str, unknown)))}")
            return cls(**retries)
        raise ConfigurationError("retries must be True, False, None, a dict or a RetryPolicy")

    def backoff_for(self, retry_number: int) -> float:
        """The computed wait before retry ``retry_number`` (0 for the first), without jitter or cap."""
        if self.backoff == "linear":
            return self.delay * (retry_number + 1)
        return self.delay * float(2 ** min(retry_number, 64))

    def wait_before(self, retry_number: int, jitter: float | None = None) -> float:
        """Seconds to wait before retry ``retry_number``: the backoff, less up to 25% jitter, capped.

        ``jitter`` in [0, 1) picks the reduction (random when None).
        """
        fraction = random.random() if jitter is None else jitter
        return min(self.backoff_for(retry_number) * (1.0 - 0.25 * fraction), self.max_delay)


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """One retry about to happen, as ``RetryPolicy(on_retry=...)`` is told of it before the wait.

    ``operation`` names the SDK method (``"UsersResource.list"``; ``"HttpClient.request"`` for a call made
    with [`request()`][authpi_admin.http_client.HttpClient.request]), ``method`` its HTTP verb. ``attempt`` is the
    attempt that failed (1 for the first), so the next one is ``attempt + 1``. The reason is
    ``status_code`` (429, 502, 503, 504) or, when no answer came, ``error_type`` (the httpx error class,
    ``"ConnectTimeout"``). ``wait`` is the seconds the policy sleeps before the next attempt.
    """

    operation: str
    method: str
    attempt: int
    wait: float
    status_code: int | None = None
    error_type: str | None = None

    @property
    def reason(self) -> str:
        """The status code as text (``"503"``), or the error class (``"ConnectTimeout"``)."""
        return str(self.status_code) if self.status_code is not None else str(self.error_type)


RetryListener = Callable[[RetryEvent], "Awaitable[None] | None"]
"""Told of each retry before its wait: a function, or a coroutine function (awaited)."""


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio  # on first retry only: importing the SDK should cost little more than importing httpx

    await asyncio.sleep(seconds)


class RetryPolicy:
    """Answers one question for the transport: wait how long before the next attempt, or give up?

    ``config`` is the ``retries`` option (None: never retry). ``sleep`` and ``random`` are how the policy
    waits and draws its jitter; tests pass their own instead of patching. Pass a policy as ``retries=``
    to [`AuthPIAdmin`][authpi_admin.AuthPIAdmin] to control both.

    ``on_retry`` is told of every retry before its wait, with a [`RetryEvent`][authpi_admin.retries.RetryEvent] (the
    operation, the attempt that failed, the reason and the wait): to count retries, or log them your way. It may be a
    coroutine function. What it raises ends the call with that exception, unchanged.
    """

    __slots__ = ("config", "on_retry", "random", "sleep")

    def __init__(
        self,
        config: RetryConfig | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep,
        random: Callable[[], float] = random.random,
        on_retry: RetryListener | None = None,
    ) -> None:
        if on_retry is not None and not callable(on_retry):
            raise ConfigurationError("on_retry must be a function that takes a RetryEvent")
        self.config = config if config is not None else RetryConfig()
        self.sleep = sleep
        self.random = random
        self.on_retry = on_retry

    async def tell(self, event: RetryEvent) -> None:
        """Tell ``on_retry`` of ``event`` (awaited when it is a coroutine function)."""
        if self.on_retry is None:
            return
        told = self.on_retry(event)
        if inspect.isawaitable(told):
            await told

    @classmethod
    def from_option(cls, retries: bool | Mapping[str, Any] | RetryConfig | RetryPolicy | None) -> RetryPolicy | None:
        """The policy for a ``retries`` option; None when retries are off."""
        if isinstance(retries, RetryPolicy):
            return retries
        config = RetryConfig.from_option(retries)
        return cls(config) if config is not None else None

    def __repr__(self) -> str:
        return f"RetryPolicy({self.config!r})"

    def delay(
        self,
        method: str,
        retries_done: int,
        outcome: httpx.Response | httpx.HTTPError,
        *,
        idempotent: bool = False,
    ) -> float | None:
        """Seconds to wait before sending again, or None to give up and raise.

        Reads are retried, and writes that carry an ``Idempotency-Key`` (``idempotent``: the API replays
        such a write instead of applying it twice); others never. Only ``limit`` times, and only after a
        transport failure or a status in 429/502/503/504. A ``Retry-After`` longer than ``max_delay``
        gives up at once: the caller decides whether to wait that long.
        """
        config = self.config
        if not (idempotent or method in RETRYABLE_METHODS) or retries_done >= config.limit:
            return None
        if isinstance(outcome, httpx.HTTPError):
            return self._backoff(retries_done) if isinstance(outcome, RETRYABLE_TRANSPORT_ERRORS) else None
        if outcome.status_code not in AUTO_RETRIED_STATUSES:
            return None
        asked = parse_retry_after(outcome.headers.get("retry-after"))
        if asked is None:
            return self._backoff(retries_done)
        return asked if asked <= config.max_delay else None

    def _backoff(self, retries_done: int) -> float:
        return self.config.wait_before(retries_done, self.random())
