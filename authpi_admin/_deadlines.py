"""Whole-attempt deadlines with one timer per client, not one per request.

httpx's timeouts limit each phase and each read, so a server that drips its body a byte at a time keeps
an attempt alive forever. ``asyncio.timeout`` would bound it, at the cost of a timer handle per request
(measured: a few microseconds a call, most of the SDK's own cost). Here attempts register their deadline
in a dict, and a single timer, armed for the earliest deadline, cancels the attempts that are overdue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

__all__ = ["Deadlines"]


class Deadlines:
    """Cancels every guarded block that outlives its deadline; :meth:`expired` tells such a block apart."""

    __slots__ = ("_armed_for", "_pending", "_timed_out", "_timer")

    def __init__(self) -> None:
        self._pending: dict[asyncio.Task[object], float] = {}
        self._timed_out: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = float("inf")

    def enter(self, seconds: float | None) -> asyncio.Task[object] | None:
        """Put the current task under a deadline of ``seconds`` (None: none) until :meth:`leave`.

        Plain calls rather than a context manager: this runs on every request. An overdue task is
        cancelled where it awaits; catch ``asyncio.CancelledError`` and ask :meth:`expired`.
        """
        if seconds is None:
            return None
        import asyncio  # the loop is running: already imported (importing the SDK does not import it)

        task = asyncio.current_task()
        if task is None:
            return None
        loop = task.get_loop()
        when = loop.time() + seconds
        self._pending[task] = when
        if when < self._armed_for:
            self._arm(loop, when)
        return task

    def leave(self, task: asyncio.Task[object] | None) -> None:
        """The task's guarded work is over (finished, failed or cancelled)."""
        if task is not None:
            self._pending.pop(task, None)

    def expired(self, task: asyncio.Task[object]) -> bool:
        """True (once) when the deadline cancelled ``task``; the cancellation is then withdrawn."""
        if task not in self._timed_out:
            return False
        self._timed_out.discard(task)
        task.uncancel()
        return True

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._fire, loop)
        self._armed_for = when

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer, self._armed_for = None, float("inf")
        now = loop.time()
        for task, when in list(self._pending.items()):
            if when <= now:
                # the task is suspended between enter() and leave(): the only place it can be while pending
                del self._pending[task]
                self._timed_out.add(task)
                task.cancel()
        if self._pending:
            self._arm(loop, min(self._pending.values()))
