"""The bound on one client's requests in flight (``max_concurrency``), and each call's hold on it.

Calls beyond the bound wait here in arrival order, each on one future, rather than in httpx's pool, whose
wait has a pool timeout that turns a long queue into errors (and then into retries). A waiting call
should cost little: 10,000 calls started at once are 9,900 waiting calls.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

__all__ = ["InFlightLimit", "InFlightSlot"]


class InFlightLimit:
    """At most ``limit`` holders at once; the others are served first come, first served."""

    __slots__ = ("_free", "_waiters")

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiters: deque[asyncio.Future[None]] = deque()

    def slot(self) -> InFlightSlot:
        """A hold on one slot, not taken yet."""
        return InFlightSlot(self)

    def _hand_on(self) -> None:
        """A slot came free: give it to the longest waiting call still waiting, or keep it free."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled waiter has left the queue in all but name
                waiter.set_result(None)
                return
        self._free += 1


class InFlightSlot:
    """One call's hold on a slot: taken before the call is built, given back while it waits to retry,
    and given back once at the end however the call ends (`give_back()` is safe to call twice)."""

    __slots__ = ("_held", "_limit")

    def __init__(self, limit: InFlightLimit) -> None:
        self._limit = limit
        self._held = False

    def try_take(self) -> bool:
        """Hold a free slot if there is one and nobody is waiting for it; never waits."""
        if self._held:
            return True
        limit = self._limit
        if limit._free > 0 and not limit._waiters:
            limit._free -= 1
            self._held = True
            return True
        return False

    def queue(self) -> asyncio.Future[None] | None:
        """Hold a free slot now (None), or join the queue: await the future returned, then call
        `arrived()`. A caller that awaits it directly waits with no coroutine of its own, which is
        what 10,000 waiting calls cost; one cancelled while it waits calls `left_queue()`."""
        if self.try_take():
            return None
        import asyncio  # imported by the running loop already; not by importing the SDK

        waiter = asyncio.get_running_loop().create_future()
        self._limit._waiters.append(waiter)
        return waiter

    def arrived(self) -> None:
        """The awaited future of `queue()` came: this hold has its slot."""
        self._held = True

    def left_queue(self, waiter: asyncio.Future[None]) -> None:
        """The caller stopped waiting (cancelled): pass on a slot it was handed in the same moment."""
        if waiter.done() and not waiter.cancelled():
            self._limit._hand_on()

    async def take(self) -> None:
        """Wait for a free slot and hold it (at once if this hold has one already: one call, one slot)."""
        waiter = self.queue()
        if waiter is None:
            return
        try:
            await waiter
        except BaseException:
            self.left_queue(waiter)
            raise
        self.arrived()

    def give_back(self) -> None:
        """Free the slot if held."""
        if self._held:
            self._held = False
            self._limit._hand_on()
