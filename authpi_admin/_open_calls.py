"""The calls a client has in flight, so that ``close()`` can end them all before it closes the connections.

``close()`` means the same on every path to the wire (the SDK's own httpx client, an injected one, the
emulator's): each call in flight, whether it waits for room, for the account, for a retry or for an
answer, ends with [`ClosedClientError`][authpi_admin.errors.ClosedClientError]; no attempt starts after ``close()``
began; and ``close()`` returns once those calls have unwound, so no call succeeds after it and their connections are
released before the pool closes. A cancel from the caller still wins over the close's (see `withdraw_cancel`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._deadlines import withdraw_cancel

if TYPE_CHECKING:
    import asyncio

__all__ = ["UNWIND_GRACE_SECONDS", "OpenCalls", "SharedPool"]

# How long close() waits for the calls it aborted to unwind before it closes the connections anyway. They
# unwind in microseconds; the bound is for a user callback (on_token_expired) that ignores cancellation.
UNWIND_GRACE_SECONDS = 5.0


class OpenCalls:
    """The tasks inside a call of one client, each with its cancel count from when it entered.

    One int per task in flight (10,000 waiting calls are 10,000 entries); a call made from inside another
    call of the same task (an ``on_token_expired`` callback that uses the client) is counted apart.
    """

    __slots__ = ("__weakref__", "_aborted", "_calls", "_drained", "_nested", "_unwinding")

    def __init__(self) -> None:
        self._calls: dict[asyncio.Task[object], int] = {}  # the task's cancel count when its outer call began
        self._nested: dict[asyncio.Task[object], int] = {}  # how many calls deep a task is, past the first
        self._aborted: dict[asyncio.Task[object], int] = {}  # cancelled by close(), not claimed yet
        self._unwinding: set[asyncio.Task[object]] = set()  # cancelled by close(), still inside a call
        # set when the last of those has left; every close() waiting meanwhile waits on this one event
        self._drained: asyncio.Event | None = None

    def enter(self) -> asyncio.Task[object] | None:
        """Record that the current task is inside a call until `leave()`."""
        import asyncio  # the loop is running: already imported

        task = asyncio.current_task()
        if task is not None:
            if task in self._calls:
                self._nested[task] = self._nested.get(task, 0) + 1
            else:
                self._calls[task] = task.cancelling()
        return task

    def leave(self, task: asyncio.Task[object] | None) -> None:
        """The call is over, however it ended."""
        if task is None:
            return
        depth = self._nested.get(task)
        if depth is not None:
            if depth > 1:
                self._nested[task] = depth - 1
            else:
                del self._nested[task]
            return
        del self._calls[task]
        if self._aborted.pop(task, None) is not None:
            task.uncancel()  # close() cancelled it as it was ending some other way: withdraw that cancel
        if self._unwinding:
            self._unwinding.discard(task)
            if self._drained is not None and not self._unwinding:
                self._drained.set()
                self._drained = None  # its waiters hold it; a later close() with new calls makes its own

    def claims(self, task: asyncio.Task[object] | None) -> bool:
        """For a call that caught ``CancelledError``: True when ``close()`` alone cancelled it (the call then
        raises ``ClosedClientError``); False when the cancel is somebody else's, which must propagate."""
        if task is None or task in self._nested:
            return False  # the outermost call of the task decides
        before = self._aborted.pop(task, None)
        return before is not None and withdraw_cancel(task, before)

    async def abort(self, grace: float = UNWIND_GRACE_SECONDS) -> None:
        """Cancel every call in flight (but the caller's own) and wait up to ``grace`` s for them to end."""
        import asyncio

        current = asyncio.current_task()
        for task, before in self._calls.items():
            if task is not current and task not in self._unwinding:
                self._aborted[task] = before
                self._unwinding.add(task)
                task.cancel()
        if not self._unwinding:
            return
        if self._drained is None:
            self._drained = asyncio.Event()
        drained = self._drained  # shared with a concurrent close(): both return when the last call left
        try:
            async with asyncio.timeout(grace):
                await drained.wait()
        except TimeoutError:
            pass  # close the connections anyway: the stragglers then fail on a closed client


class SharedPool:
    """What a client and its ``with_options()`` siblings share about their one connection pool: whether it
    is closed (one flag, read before every attempt of every member), and each member's open calls.

    Only the client that made the pool closes it; a sibling's own ``close()`` ends its own calls.
    """

    __slots__ = ("closed", "members")

    def __init__(self) -> None:
        import weakref  # here: importing the SDK stays lean; a client is made once

        self.closed = False
        self.members: weakref.WeakSet[OpenCalls] = weakref.WeakSet()

    def join(self) -> OpenCalls:
        """The open calls of a new member (the client that made the pool, or a sibling)."""
        calls = OpenCalls()
        self.members.add(calls)
        return calls

    async def close(self) -> None:
        """Refuse every member's new attempts from now on, then end the calls of all of them at once."""
        import asyncio

        self.closed = True
        await asyncio.gather(*(calls.abort() for calls in list(self.members)))
