"""The emulator's clock: the time every timestamp, expiry and delivery retry of the emulator is read from.

A test can freeze it, set it and move it forward (in process, or over the control API) to see a token
expire or a delivery's retry fall due without waiting in real time.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["LATEST_TIME", "EmulatorClock"]

LATEST_TIME = 253_402_300_799.0
"""The latest time the clock can show: 9999-12-31T23:59:59Z, the last second a timestamp can name."""


def _checked_time(at: float, what: str) -> float:
    """``at`` as epoch seconds the clock can show; ValueError (saying why) for NaN, an infinity, a time
    before 1970 or past `LATEST_TIME`: one such value would break every timestamp after it."""
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        raise ValueError(f"{what} must be a finite number of epoch seconds, not {at!r}")
    if not 0 <= at <= LATEST_TIME:
        raise ValueError(f"{what} must be from 0 (1970) to {LATEST_TIME:.0f} (the year 9999), not {at!r}")
    return float(at)


class EmulatorClock:
    """Epoch seconds from ``source`` (the real time by default), moved by
    [`advance()`][authpi_admin.testing.EmulatorClock.advance], held by
    [`freeze()`][authpi_admin.testing.EmulatorClock.freeze]. Calling it gives the emulator's now.

    ``on_change`` callbacks run after every move, so what waits on the emulator's time (the delivery of
    webhooks) looks again.
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()
        self.on_change: list[Callable[[], None]] = []

    def __call__(self) -> float:
        frozen = self._frozen_at
        return frozen if frozen is not None else self._source() + self._offset

    def __repr__(self) -> str:
        return f"<EmulatorClock {self():.3f}{' frozen' if self.frozen else ''}>"

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still (until [`advance()`][authpi_admin.testing.EmulatorClock.advance],
        [`set()`][authpi_admin.testing.EmulatorClock.set] or
        [`unfreeze()`][authpi_admin.testing.EmulatorClock.unfreeze])."""
        return self._frozen_at is not None

    def freeze(self, at: float | None = None) -> float:
        """Stop the clock, at ``at`` (epoch seconds) or now; return the time it shows."""
        at = None if at is None else _checked_time(at, "the time to freeze at")
        with self._lock:
            self._frozen_at = self() if at is None else at
            shown = self._frozen_at
        self._changed()
        return shown

    def unfreeze(self) -> float:
        """Let the clock run again from the time it shows; return that time."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._source()
                self._frozen_at = None
            shown = self()
        self._changed()
        return shown

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward (frozen or running); return the time it shows."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
            raise ValueError(f"the seconds to advance must be a finite number, not {seconds!r}")
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward: seconds must be 0 or more")
        _checked_time(self() + seconds, "the time advanced to")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
            shown = self()
        self._changed()
        return shown

    def set(self, at: float) -> float:
        """Show ``at`` (epoch seconds) from now on, running on from there unless frozen; return it."""
        at = _checked_time(at, "the time to set")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = float(at)
            else:
                self._offset = float(at) - self._source()
            shown = self()
        self._changed()
        return shown

    def state(self) -> dict[str, float | None]:
        """Where the clock stands, to keep across a restart: ``{"frozen_at": ..., "offset": ...}``."""
        with self._lock:
            return {"frozen_at": self._frozen_at, "offset": self._offset}

    def restore(self, state: dict[str, float | None]) -> None:
        """Stand where [`state()`][authpi_admin.testing.EmulatorClock.state] said: frozen at the same time, or running
        with the same offset from the source (a clock moved an hour ahead is still an hour ahead). ValueError for values
        it cannot
        hold."""
        frozen_at, offset = state.get("frozen_at"), state.get("offset") or 0.0
        if not isinstance(offset, int | float) or isinstance(offset, bool) or not math.isfinite(offset):
            raise ValueError(f"the clock's offset must be a finite number, not {offset!r}")
        with self._lock:
            self._frozen_at = None if frozen_at is None else _checked_time(frozen_at, "the frozen time")
            self._offset = float(offset)
        self._changed()

    def reset(self) -> None:
        """Run on the source's time again, unmoved and unfrozen."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None
        self._changed()

    def _changed(self) -> None:
        for callback in list(self.on_change):
            callback()
