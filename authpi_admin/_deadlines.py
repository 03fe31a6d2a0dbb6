"""Whole-attempt deadlines with one timer per client, not one per request.

httpx's timeouts limit each phase and each read, so a server that drips its body a byte at a time keeps
an attempt alive forever. ``asyncio.timeout`` would bound it, at the cost of a timer handle per request
(measured: a few microseconds a call, most of the SDK's own cost). Here attempts register their deadline
in a dict, and a single timer, armed for the earliest deadline, cancels the attempts that are overdue.

A deadline's cancel must never hide the caller's own: `claims()` withdraws the deadline's cancel and says whether
another one (``task.cancel()`` from outside, a ``TaskGroup``, an enclosing ``asyncio.timeout``) is still pending, as
``asyncio.timeout`` itself does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

__all__ = ["Deadlines", "withdraw_cancel"]


def withdraw_cancel(task: asyncio.Task[object], cancelling_before: int) -> bool:
    """Withdraw one cancel this package requested of ``task``; True when it was the only one pending.

    ``cancelling_before`` is ``task.cancelling()`` from before the package could have cancelled. False
    means somebody else cancelled the task too: the ``CancelledError`` is theirs and must propagate.
    """
    return task.uncancel() <= cancelling_before


class Deadlines:
    """Cancels every guarded block that outlives its deadline; `claims()` tells such a block apart."""

    __slots__ = ("_armed_for", "_pending", "_timed_out", "_timer")

    def __init__(self) -> None:
        # each guarded task: its deadline, and its cancel count when it entered
        self._pending: dict[asyncio.Task[object], tuple[float, int]] = {}
        self._timed_out: dict[asyncio.Task[object], int] = {}  # cancelled by a deadline: the count at entry
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = float("inf")

    def enter(self, seconds: float | None) -> asyncio.Task[object] | None:
        """Put the current task under a deadline of ``seconds`` (None: none) until `leave()`.

        Plain calls rather than a context manager: this runs on every request. An overdue task is
        cancelled where it awaits; catch ``asyncio.CancelledError`` and ask `claims()`.
        """
        if seconds is None:
            return None
        import asyncio  # the loop is running: already imported (importing the SDK does not import it)

        task = asyncio.current_task()
        if task is None:
            return None
        loop = task.get_loop()
        when = loop.time() + seconds
        self._pending[task] = (when, task.cancelling())
        if when < self._armed_for:
            self._arm(loop, when)
        return task

    def leave(self, task: asyncio.Task[object] | None) -> None:
        """The task's guarded work is over (finished, failed or cancelled)."""
        if task is not None:
            self._pending.pop(task, None)
            if self._timed_out.pop(task, None) is not None:
                # the deadline's cancel was never claimed (the attempt ended some other way): withdraw it,
                # or it would land at the caller's next await
                task.uncancel()

    def claims(self, task: asyncio.Task[object] | None) -> bool:
        """For a guarded block that caught ``CancelledError``: True when its deadline alone cancelled it.

        A cancel the deadline made is withdrawn either way, so ``task.cancelling()`` is as the caller left
        it; False when the deadline did not fire, or when somebody else cancelled the task as well (their
        ``CancelledError`` must propagate, never become a timeout).
        """
        if task is None:
            return False
        before = self._timed_out.pop(task, None)
        return before is not None and withdraw_cancel(task, before)

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._fire, loop)
        self._armed_for = when

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer, self._armed_for = None, float("inf")
        now = loop.time()
        for task, (when, before) in list(self._pending.items()):
            if when <= now:
                # the task is suspended between enter() and leave(): the only place it can be while pending
                del self._pending[task]
                self._timed_out[task] = before
                task.cancel()
        if self._pending:
            self._arm(loop, min(when for when, _ in self._pending.values()))
