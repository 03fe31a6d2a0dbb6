"""close() and cancellation mean the same on every path to the wire.

Over a real loopback socket (the SDK's own httpx client, an injected one) and through the emulator's
in-process client: close() ends every call in flight with ClosedClientError, opens nothing after it began,
leaks no socket; a caller's cancel always wins over the SDK's own deadline and over close().
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from authpi_admin import AuthPIAdmin, ClosedClientError, RequestTimeoutError
from authpi_admin._deadlines import Deadlines
from authpi_admin.testing import Emulator

from .transport_helpers import SECRET

PATHS = ("own client", "injected client", "emulator in process")
# How long after close() a test watches for an attempt that should not come (a retry would have gone by then).
RETRY_WINDOW = 1.2


# How long a server holds the answers a close() must cut short: they never come on their own, so no test
# depends on doing its part before an answer would arrive, however loaded the machine.
HELD = 3600.0


class SlowServer:
    """A loopback HTTP/1.1 server that answers every request with a small JSON body after ``answer_after``
    seconds (unless the client hangs up first), and counts the connections it accepted and those still
    open."""

    def __init__(self, answer_after: float) -> None:
        self.answer_after = answer_after
        self.accepted = 0
        self.received = 0  # requests read whole: their clients wait for the answer
        self.open = 0
        self.base_url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                self.received += 1
                hung_up = asyncio.ensure_future(reader.read(1))  # b"" once the client closes the connection
                await asyncio.wait({hung_up}, timeout=self.answer_after)
                if hung_up.done():
                    break
                hung_up.cancel()
                body = b'{"data": {"id": "usr_1"}}'
                head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
                writer.write(head.encode() + body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self.open -= 1
            writer.close()


@asynccontextmanager
async def slow_server(answer_after: float = HELD) -> AsyncIterator[SlowServer]:
    state = SlowServer(answer_after)
    handlers: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        await state.handle(reader, writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    state.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield state
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


@asynccontextmanager
async def client_on(
    path: str, base_url: str, *, answer_after: float = HELD, **options: Any
) -> AsyncIterator[AuthPIAdmin]:
    """An SDK client on ``path``: against ``base_url`` over a socket, or the emulator in process (which
    answers after ``answer_after`` seconds, as the server does)."""
    if path == "emulator in process":
        emulator = Emulator()
        emulator.faults.add(latency=answer_after)
        yield emulator.client(account_id="me", **options)
        return
    injected = httpx.AsyncClient(timeout=30.0) if path == "injected client" else None
    try:
        yield AuthPIAdmin(account_id="me", api_key=SECRET, base_url=base_url, http_client=injected, **options)
    finally:
        if injected is not None:
            await injected.aclose()


async def eventually(condition: Any, what: str) -> None:
    """Wait until ``condition()`` holds: a bound for a loaded machine (60 s), never a speed check."""
    deadline = asyncio.get_running_loop().time() + 60
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"never: {what}"
        await asyncio.sleep(0.01)


def no_unclosed_sockets() -> None:
    """Collect garbage and fail on any ``ResourceWarning`` it raises (an unclosed socket or transport)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []


@pytest.mark.parametrize("path", PATHS)
async def test_close_ends_every_call_in_flight_with_closed_client_error_and_leaks_nothing(path: str) -> None:
    async with slow_server() as server, client_on(path, server.base_url) as admin:
        users = admin.issuer("iss_1").users
        calls = [asyncio.ensure_future(users.get("usr_1")) for _ in range(100)]
        if path == "emulator in process":
            await asyncio.sleep(0.3)
        else:  # all sent and waiting for their answers, however loaded the machine
            await eventually(lambda: server.received == 100, "100 requests reached the server")
        accepted_before_close = server.accepted
        await admin.close()
        # every call has ended by the time close() returns: none can succeed afterwards
        assert all(call.done() for call in calls)
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [ClosedClientError] * 100
        await asyncio.sleep(RETRY_WINDOW)  # when the server would have answered, and a retry would have gone
        if path != "emulator in process":
            assert accepted_before_close == 100  # all were in flight on the wire
            # every connection was closed, the injected client's too: the server sees each end (when its
            # handler wakes, which a loaded machine may delay)
            await eventually(lambda: server.open == 0, "the server saw every connection closed")
        assert server.accepted == accepted_before_close  # nothing was opened after close()
        assert admin.http.is_closed
    no_unclosed_sockets()


@pytest.mark.parametrize("path", PATHS)
async def test_close_ends_calls_waiting_for_room_and_for_a_retry(path: str) -> None:
    retry_waits: list[float] = []
    waiting_to_retry = asyncio.Event()

    async def sleep(seconds: float) -> None:
        retry_waits.append(seconds)
        waiting_to_retry.set()
        await asyncio.sleep(3600)  # a retry wait close() must cut short

    from authpi_admin.retries import RetryConfig, RetryPolicy

    policy = RetryPolicy(RetryConfig(), sleep=sleep)
    async with slow_server() as server, client_on(path, server.base_url, max_concurrency=1, retries=policy) as admin:
        users = admin.issuer("iss_1").users
        # the first times out and waits to retry; the others could not time out before close(), loaded or not
        calls = [asyncio.ensure_future(users.get("usr_1", timeout=t)) for t in (0.3, 60, 60)]
        await waiting_to_retry.wait()  # the first call timed out and waits to retry, its slot given back
        await asyncio.sleep(0.05)
        # now: one call waits to retry, one is on the wire, one waits for room
        assert [call.done() for call in calls] == [False, False, False]
        await admin.close()
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [ClosedClientError] * 3
        assert retry_waits == [pytest.approx(retry_waits[0])]  # none of them retried after close()
    no_unclosed_sockets()


@pytest.mark.parametrize("path", PATHS)
async def test_a_call_made_after_close_is_refused_before_anything_is_sent(path: str) -> None:
    async with slow_server() as server, client_on(path, server.base_url) as admin:
        await admin.close()
        with pytest.raises(ClosedClientError):
            await admin.issuer("iss_1").users.get("usr_1")
        assert server.accepted == 0


@pytest.mark.parametrize("path", PATHS)
async def test_a_callers_cancel_during_close_stays_a_cancel(path: str) -> None:
    async with slow_server() as server, client_on(path, server.base_url) as admin:
        call = asyncio.ensure_future(admin.issuer("iss_1").users.get("usr_1"))
        await asyncio.sleep(0.2)
        call.cancel()  # the caller's cancel, in the same tick as close()'s
        await admin.close()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert call.cancelled()


async def test_closing_a_sibling_ends_its_calls_only_and_closing_the_owner_ends_all() -> None:
    async with slow_server() as server, client_on("own client", server.base_url) as admin:
        sibling = admin.with_options(timeout=10)
        on_admin = asyncio.ensure_future(admin.issuer("iss_1").users.get("usr_1"))
        on_sibling = asyncio.ensure_future(sibling.issuer("iss_1").users.get("usr_1"))
        again = asyncio.ensure_future(sibling.with_options(timeout=9).issuer("iss_1").users.get("usr_1"))
        await asyncio.sleep(0.2)
        await sibling.close()
        assert on_sibling.done() and isinstance(on_sibling.exception(), ClosedClientError)
        assert not on_admin.done() and not again.done()
        await admin.close()  # owns the shared pool: every sibling's calls on it end too
        for call in (on_admin, again):
            assert call.done() and isinstance(call.exception(), ClosedClientError)
    no_unclosed_sockets()


# ------------------------------------------------------------------------------- the caller's cancel wins


def _deadline_with_a_cancel_in_its_tick(monkeypatch: pytest.MonkeyPatch, cancel_first: bool) -> list[str]:
    """Make the SDK's deadline timer cancel the caller's task too, in the very same callback: the exact tie
    of a ``task.cancel()`` landing in the loop tick where the deadline fires."""
    fired: list[str] = []
    original = Deadlines._fire

    def fire_with_the_callers_cancel(self: Deadlines, loop: asyncio.AbstractEventLoop) -> None:
        overdue = [task for task, (when, _) in self._pending.items() if when <= loop.time()]
        if cancel_first:
            for task in overdue:
                task.cancel()
        original(self, loop)
        if not cancel_first:
            for task in overdue:
                task.cancel()
        fired.append("both")

    monkeypatch.setattr(Deadlines, "_fire", fire_with_the_callers_cancel)
    return fired


@pytest.mark.parametrize("cancel_first", [True, False], ids=["cancel then deadline", "deadline then cancel"])
@pytest.mark.parametrize("path", PATHS)
async def test_a_cancel_in_the_deadlines_tick_is_a_cancel_never_a_timeout(
    path: str, cancel_first: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    fired = _deadline_with_a_cancel_in_its_tick(monkeypatch, cancel_first)
    attempts = 0

    async def counting(request: httpx.Request) -> None:
        nonlocal attempts
        attempts += 1

    async with slow_server() as server, client_on(path, server.base_url) as admin:
        if path == "injected client":
            admin.http._http.event_hooks["request"].append(counting)
        call = asyncio.ensure_future(admin.issuer("iss_1").users.get("usr_1", timeout=0.2))
        with pytest.raises(asyncio.CancelledError):
            await call
        assert fired == ["both"]
        assert call.cancelled()  # not RequestTimeoutError, and not retried
        if path == "injected client":
            assert attempts == 1


@pytest.mark.parametrize("path", PATHS)
async def test_cancelling_stays_balanced_under_task_group_and_timeout(path: str) -> None:
    async with slow_server() as server, client_on(path, server.base_url, retries=False) as admin:
        users = admin.issuer("iss_1").users
        # asyncio.timeout around SDK calls: its own cancel becomes TimeoutError, the SDK's own deadline a
        # RequestTimeoutError, and the task's cancel count is back to 0 after each
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await users.get("usr_1", timeout=10)
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        with pytest.raises(RequestTimeoutError):
            await users.get("usr_1", timeout=0.2)
        assert task.cancelling() == 0

        async def fails_soon() -> None:
            await asyncio.sleep(0.1)
            raise LookupError("a sibling task failed")

        # a TaskGroup cancels the SDK call when a sibling fails, and reports that failure alone
        with pytest.raises(ExceptionGroup) as caught:
            async with asyncio.TaskGroup() as group:
                call = group.create_task(users.get("usr_1", timeout=10))
                group.create_task(fails_soon())
        assert [type(error) for error in caught.value.exceptions] == [LookupError]
        assert call.cancelled() and call.cancelling() == 1  # the group's one cancel, nothing of the SDK's


# ------------------------------------------------------------------- one closed state for the whole pool


@pytest.mark.parametrize("path", PATHS)
async def test_a_sibling_call_started_while_the_owner_closes_is_refused_and_nothing_leaks(path: str) -> None:
    async with slow_server() as server, client_on(path, server.base_url) as admin:
        sibling = admin.with_options(timeout=10)
        in_flight = asyncio.ensure_future(sibling.issuer("iss_1").users.get("usr_1"))
        await asyncio.sleep(0.2)
        accepted = server.accepted
        closing = asyncio.ensure_future(admin.close())
        await asyncio.sleep(0)  # close() has begun and waits for the calls to unwind
        late = asyncio.ensure_future(sibling.issuer("iss_1").users.get("usr_1"))
        later_sibling = admin.with_options(timeout=9)
        await closing
        outcomes = await asyncio.gather(in_flight, late, return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [ClosedClientError, ClosedClientError]
        with pytest.raises(ClosedClientError):  # a sibling made after close() is closed too
            await later_sibling.issuer("iss_1").users.get("usr_1")
        assert sibling.http.is_closed and later_sibling.http.is_closed
        await asyncio.sleep(RETRY_WINDOW)
        assert server.accepted == accepted  # nothing was sent for the late calls
    no_unclosed_sockets()


@pytest.mark.parametrize("path", PATHS)
async def test_concurrent_closes_all_return_once_the_calls_have_unwound(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from authpi_admin import _open_calls

    real_abort = _open_calls.OpenCalls.abort

    async def abort_with_no_grace_bound(self: _open_calls.OpenCalls, grace: float = 0) -> None:
        await real_abort(self, 3600)  # a close() that waited out its grace would never return in this test

    monkeypatch.setattr(_open_calls.OpenCalls, "abort", abort_with_no_grace_bound)
    async with slow_server() as server, client_on(path, server.base_url) as admin:
        sibling = admin.with_options(timeout=10)
        calls = [asyncio.ensure_future(client.issuer("iss_1").users.get("usr_1")) for client in (admin, sibling)]
        await asyncio.sleep(0.2)
        # three closers at once, two of the owner's; each must return when the calls have unwound
        await asyncio.wait_for(asyncio.gather(admin.close(), admin.close(), sibling.close()), timeout=60)
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [ClosedClientError, ClosedClientError]
    no_unclosed_sockets()
