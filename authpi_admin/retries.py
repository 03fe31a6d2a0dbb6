"""Retry policy: which answers are retried, how long to wait, and the ``Retry-After`` header."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._retry_after import parse_retry_after
from .errors import ConfigurationError

__all__ = ["RETRYABLE_METHODS", "RETRYABLE_STATUSES", "RetryConfig", "parse_retry_after"]

# Methods that are safe to send again: the only ones retried automatically.
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
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
        raise ConfigurationError("retries must be True, False, None or a dict")

    def backoff_for(self, retry_number: int) -> float:
        """The computed wait before retry ``retry_number`` (0 for the first), without jitter or cap."""
        if self.backoff == "linear":
            return self.delay * (retry_number + 1)
        return self.delay * float(2 ** min(retry_number, 64))

    def wait_before(self, retry_number: int, jitter: float | None = None) -> float:
        """Seconds to wait before retry ``retry_number``: the backoff, less up to 25% jitter, capped.

        ``jitter`` in [0, 1) picks the reduction (random when None).
        """
        if jitter is None:
            import random

            jitter = random.random()
        fraction = jitter
        return min(self.backoff_for(retry_number) * (1.0 - 0.25 * fraction), self.max_delay)
