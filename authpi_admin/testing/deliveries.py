"""Webhook deliveries: each event a webhook subscribes to is POSTed to its URL, in the background.

Every event recorded makes a ``pending`` delivery for each active webhook that wants it (see
`events`). A `Deliverer` thread, started with the first one, sends each delivery when it falls
due on the emulator's clock: the event as JSON (today's ``Event`` shape), one attempt at a time. A 2xx
answer ends it ``succeeded``; anything else (another status, a network error, a timeout) is retried after
a backoff on the emulator's clock ([`BACKOFF_SECONDS`][authpi_admin.testing.deliveries.BACKOFF_SECONDS]) until the
delivery's ``attempt_budget`` is spent, then it is ``failed``. A paused webhook's deliveries wait until it is active
again.

Receivers in process (an ASGI app, a callable) run on the deliverer's thread and its own event loop, not
on the caller's.

Where a delivery may go: a receiver registered in process (an ASGI app or a callable: no socket), or a
loopback address (``localhost``, ``127.0.0.0/8``, ``::1``). Any other host only when the emulator was made
with ``deliver_anywhere=True``: an emulator that a test drives must not make requests to the world.

An emulator served beyond loopback (`Deliverer.exposed`) is reachable by others, who could create a
webhook aimed at this machine's own services or its private network: it delivers to no local address
(loopback, private, link-local; a host name is resolved first) unless made with ``deliver_locally=True``.

The emulator signs nothing (the API's reference documents no signature) and applies no webhook ``auth``.
The headers it adds are its own: [`DELIVERY_HEADER`][authpi_admin.testing.deliveries.DELIVERY_HEADER] and
[`ATTEMPT_HEADER`][authpi_admin.testing.deliveries.ATTEMPT_HEADER].
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .._validation import is_loopback_host
from .records import Record
from .state import EmulatorState
from .wire import json_reply

__all__ = [
    "ATTEMPT_HEADER",
    "BACKOFF_SECONDS",
    "DELIVERY_HEADER",
    "AsgiReceiver",
    "CallbackReceiver",
    "CallbackTransport",
    "Deliverer",
]

DELIVERY_HEADER = "authpi-emulator-delivery"
"""The id of the delivery a POST is an attempt of (the emulator's own header)."""
ATTEMPT_HEADER = "authpi-emulator-attempt"
"""Which attempt of its delivery a POST is, from 1 (the emulator's own header)."""

BACKOFF_SECONDS = (30, 60, 120, 240, 480)
"""How long after a failed attempt the next one falls due, on the emulator's clock: the Nth retry waits the
Nth entry, the last repeating. The default budget of 5 attempts reaches the first four (30 s to 4 min)."""

# How long one attempt may take before it counts as failed (real seconds: the receiver is real).
ATTEMPT_TIMEOUT = 10.0
# How often the thread looks again while a delivery waits (for its time, or for its webhook to resume).
_POLL_SECONDS = 1.0

_Answer = int | httpx.Response | None
CallbackReceiver = Callable[[httpx.Request], _Answer | Awaitable[_Answer]]
"""A callable that takes a webhook's deliveries in process: given each ``httpx.Request``, it answers a
status code, an ``httpx.Response`` or None (200), or an awaitable of one."""

AsgiReceiver = Callable[[Any, Any, Any], Awaitable[None]]
"""An ASGI app that takes a webhook's deliveries in process."""


@dataclass(frozen=True)
class _Attempt:
    """One attempt to make: what to send, where, and the delivery it is for (the record itself: its outcome
    lands only on that record, never on one that took its id after a reset)."""

    account: str
    delivery: Record
    url: str
    number: int
    body: bytes


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}".lower()


def _is_local_address(address: str) -> bool:
    """Whether an IP address is this machine's or its private network's (not one on the internet)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified or ip.is_reserved


async def _resolves_locally(host: str, port: int) -> bool:
    """Whether the name ``host`` resolves to any local address (what an exposed emulator must not reach);
    a name that does not resolve is not local (the attempt then fails as a network error)."""
    import socket

    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return any(_is_local_address(str(info[4][0])) for info in infos)


class CallbackTransport(httpx.AsyncBaseTransport):
    """Hands each request to a callable receiver and turns what it answers into a response."""

    def __init__(self, callback: CallbackReceiver) -> None:
        self._callback = callback

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        answer = self._callback(request)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200 if answer is None else answer, request=request)


class Deliverer:
    """Sends an emulator's webhook deliveries from a thread of its own, started by the first delivery."""

    def __init__(self, state: EmulatorState, *, deliver_anywhere: bool = False, deliver_locally: bool = False) -> None:
        self.state = state
        self.deliver_anywhere = deliver_anywhere
        self.deliver_locally = deliver_locally
        # set when the emulator is served beyond loopback: local destinations then need deliver_locally
        self.exposed = False
        self._receivers: dict[str, httpx.AsyncBaseTransport] = {}  # by origin: scheme://host:port
        # The deliveries that may want an attempt (pending ones, and any stored or queued again since the
        # last look), by the record's identity: what each look reads, instead of every delivery stored.
        # Guarded by the state's lock; a delivery that ended or is gone leaves it at the next look.
        self._tracked: dict[int, tuple[str, Record]] = {}
        self._in_flight: set[int] = set()  # the tracked records an attempt is being made for
        self._turn = threading.Condition()
        self._asked = 0  # how many times it was woken; a round that started after wake N answers for N
        self._settled = -1  # the last wake answered by a round that found nothing due
        self._stopping = False
        self._thread: threading.Thread | None = None
        state.clock.on_change.append(self._clock_moved)

    @property
    def running(self) -> bool:
        """Whether its thread runs (from the first delivery until
        [`stop()`][authpi_admin.testing.EmulatorServer.stop])."""
        return self._thread is not None

    def add_receiver(self, url: str, transport: httpx.AsyncBaseTransport) -> None:
        """Deliver through ``transport`` (to a receiver in process) whatever goes to ``url``'s scheme, host
        and port."""
        self._receivers[_origin(httpx.URL(url))] = transport

    @property
    def tracked(self) -> int:
        """How many deliveries it watches (those waiting for an attempt, until its next look)."""
        return len(self._tracked)

    def track(self, account: str, delivery: Record) -> None:
        """Watch ``delivery`` (made, seeded, loaded, or queued again) and look now. Called under the state's
        lock."""
        self._tracked[id(delivery)] = (account, delivery)
        self.wake()

    def forget_all(self) -> None:
        """Watch nothing (the emulator was reset: its deliveries are gone). Called under the state's lock;
        an attempt in flight still ends, and records its outcome nowhere."""
        self._tracked.clear()

    def wake(self) -> None:
        """A delivery may have fallen due: look now (the thread starts with the first)."""
        with self._turn:
            if self._stopping:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="authpi-emulator-deliveries", daemon=True)
                self._thread.start()
            self._asked += 1
            self._turn.notify_all()

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until no delivery is due now (those that wait for a later time on the emulator's clock do
        not count); False if that took longer than ``timeout`` seconds."""
        with self._turn:
            if self._thread is None:
                return True
            self._asked += 1
            wanted = self._asked
            self._turn.notify_all()
            return self._turn.wait_for(lambda: self._settled >= wanted or self._stopping, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sending (attempts in flight end with the thread) and wait for the thread."""
        with self._turn:
            self._stopping = True
            thread, self._thread = self._thread, None
            self._turn.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _clock_moved(self) -> None:
        if self._thread is not None:
            self.wake()

    # ---------------------------------------------------------------------------------- the thread

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        clients: dict[str, httpx.AsyncClient] = {}
        try:
            while True:
                with self._turn:
                    if self._stopping:
                        return
                    round_of = self._asked
                due, wait = self._due()
                if due:
                    loop.run_until_complete(self._make_all(due, clients))
                    continue
                with self._turn:
                    self._settled = round_of
                    self._turn.notify_all()
                    if self._asked == round_of and not self._stopping:
                        self._turn.wait(wait)
        finally:
            for client in clients.values():
                loop.run_until_complete(client.aclose())
            loop.close()

    def _due(self) -> tuple[list[_Attempt], float | None]:
        """The attempts due now, and how long to wait before looking again (None: until woken). It reads the
        tracked deliveries only, and stops tracking those that ended, went away or can never be sent."""
        due: list[_Attempt] = []
        waiting = False
        store = self.state.store
        with self.state.lock:
            now = self.state.clock()
            for ident, (account, delivery) in list(self._tracked.items()):
                if ident in self._in_flight:
                    continue
                data = delivery.data
                if store.get("deliveries", account, delivery.key) is not delivery or data.get("status") != "pending":
                    del self._tracked[ident]  # ended, deleted, or reset away; a redelivery tracks it again
                    continue
                webhook = store.get("webhooks", account, str(data.get("webhook_id")))
                event = store.get("events", account, str(data.get("event_id")))
                next_at = data.get("next_attempt_at")
                number = data.get("attempt_count") or 0
                if webhook is None or event is None or not _numbers(next_at, number):
                    del self._tracked[ident]  # not a delivery the emulator could send (seeded so): left as it is
                    continue
                if webhook.data.get("status") != "active" or (next_at is not None and next_at > now):
                    waiting = True
                    continue
                self._in_flight.add(ident)
                body = json_reply(event.public()).body
                due.append(_Attempt(account, delivery, str(webhook.data.get("url")), int(number) + 1, body))
        return due, (_POLL_SECONDS if waiting else None)

    async def _make_all(self, due: list[_Attempt], clients: dict[str, httpx.AsyncClient]) -> None:
        await asyncio.gather(*(self._make(attempt, clients) for attempt in due))

    async def _make(self, attempt: _Attempt, clients: dict[str, httpx.AsyncClient]) -> None:
        started = self.state.clock()
        status, error, final = await self._post(attempt, clients)
        delivery = attempt.delivery
        with self.state.lock:
            self._in_flight.discard(id(delivery))
            # only on the record it was made for: after a reset another delivery may have the same id
            if self.state.store.get("deliveries", attempt.account, delivery.key) is delivery:
                _record_attempt(delivery, started, self.state.clock(), status, error, final=final)
                self.state.changes += 1

    async def _post(
        self, attempt: _Attempt, clients: dict[str, httpx.AsyncClient]
    ) -> tuple[int | None, str | None, bool]:
        """One POST: the status answered, what went wrong (None for a 2xx), and whether no later attempt
        could do better (a destination the emulator may not reach)."""
        try:
            url = httpx.URL(attempt.url)
            origin = _origin(url)
        except (httpx.InvalidURL, UnicodeError):
            return None, f"the webhook's URL cannot be requested: {attempt.url!r}", True
        if origin not in self._receivers:
            refused = await self._refusal(url)
            if refused is not None:
                return None, f"not sent: {refused}", True
        reached_by = origin if origin in self._receivers else ""  # "": the network
        client = clients.get(reached_by)
        if client is None:
            transport = self._receivers.get(reached_by)
            # no redirects (a 3xx is the receiver's answer, and must not lead the emulator elsewhere), no proxy
            client = httpx.AsyncClient(
                transport=transport, timeout=ATTEMPT_TIMEOUT, follow_redirects=False, trust_env=False
            )
            clients[reached_by] = client
        headers = {
            "content-type": "application/json",
            "user-agent": "authpi-emulator",
            DELIVERY_HEADER: attempt.delivery.key,
            ATTEMPT_HEADER: str(attempt.number),
        }
        try:
            response = await client.post(attempt.url, content=attempt.body, headers=headers)
        except httpx.TimeoutException:
            return None, f"timed out after {ATTEMPT_TIMEOUT:g} s", False
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"[:500], False
        except Exception as error:  # a receiver in process that raised: its fault, told like a network error
            return None, f"the receiver raised {type(error).__name__}: {error}"[:500], False
        if 200 <= response.status_code < 300:
            return response.status_code, None, False
        return response.status_code, f"answered {response.status_code}", False

    async def _refusal(self, url: httpx.URL) -> str | None:
        """Why a delivery may not go to ``url`` (not a receiver in process), or None when it may."""
        host = url.host
        loopback = is_loopback_host(host)
        try:
            local = loopback or _is_local_address(host)
        except ValueError:  # a host name: where it leads matters only when others could aim it
            local = self.exposed and self.deliver_anywhere and await _resolves_locally(host, url.port or 443)
        if local and self.exposed and not self.deliver_locally:
            return (
                "the emulator is served beyond loopback, and delivers to no loopback or private address unless "
                "made with deliver_locally=True (serve --deliver-locally)"
            )
        if loopback or self.deliver_anywhere:
            return None
        return (
            "the emulator delivers only to loopback addresses and receivers registered with it "
            "(Emulator(deliver_anywhere=True) allows any host)"
        )


def _numbers(*values: object) -> bool:
    """Whether each value is a number or None (not a bool, which is an int to Python)."""
    return all(value is None or (isinstance(value, int | float) and not isinstance(value, bool)) for value in values)


def _record_attempt(
    delivery: Record, started: float, ended: float, status: int | None, error: str | None, *, final: bool
) -> None:
    """Today's delivery fields after one attempt; the next one due after a backoff, or none."""
    data = delivery.data
    count = int(data.get("attempt_count") or 0) + 1
    budget = data.get("attempt_budget")
    budget = int(budget) if _numbers(budget) and budget else count
    data.update(attempt_count=count, last_attempted_at=int(started), last_response_status=status, last_error=error)
    if data.get("first_attempted_at") is None:
        data["first_attempted_at"] = int(started)
    if error is None:
        data.update(status="succeeded", next_attempt_at=None)
    elif final or count >= budget:
        data.update(status="failed", next_attempt_at=None)
    else:
        backoff = BACKOFF_SECONDS[min(count, len(BACKOFF_SECONDS)) - 1]
        data.update(status="pending", next_attempt_at=int(ended) + backoff)
    data["updated_at"] = int(ended)
    delivery.version += 1
    delivery.touch()
