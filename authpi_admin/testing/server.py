"""Serving the emulator over a real socket with uvicorn: in a background thread, or in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from types import TracebackType

import uvicorn

from .._validation import is_loopback_host
from .app import Emulator
from .control_client import EmulatorControl

__all__ = ["EmulatorServer"]

_WILDCARD_TO_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}

# How long a stop waits for answers in flight before it cancels them.
_GRACE_SECONDS = 5.0


class _PromptServer(uvicorn.Server):
    """uvicorn's server, woken at once by a stop instead of polling for it every 0.1 s (twice over).

    uvicorn checks ``should_exit`` on a 0.1 s tick and sleeps 0.1 s more while shutting down, so every stop
    cost about 200 ms: for a test double started and stopped around each test, most of its run time.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up, then tell the thread that waits for it."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()  # started or not: ``started`` says which

    async def main_loop(self) -> None:
        """Serve until asked to exit; wake once a second to keep the ``date`` header current."""
        assert self._wake is not None
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864_000  # on_tick refreshes the date when the count is a multiple of 10
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    def request_exit(self) -> None:
        """Ask the server to stop, from any thread."""
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop accepting, let answers in flight finish (up to a grace period), then close."""
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # idle keep-alive connections close now, busy ones after their answer
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _GRACE_SECONDS
        # uvicorn tells nobody when a connection ends: look every millisecond
        while (self.server_state.connections or self.server_state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        for task in self.server_state.tasks:
            task.cancel()
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it
    # a response written in two parts waits for the client's delayed ACK (about 40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class EmulatorServer:
    """An [`Emulator`][authpi_admin.testing.Emulator] behind uvicorn on ``host:port`` (port 0 picks a free one).

    ``with EmulatorServer() as server:`` starts it in a background thread and stops it on exit;
    ``server.base_url`` is where it listens and ``server.emulator`` its state.
    """

    def __init__(
        self,
        emulator: Emulator | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.emulator = emulator if emulator is not None else Emulator()
        self.host = host
        if not self.is_loopback:  # others can create webhooks: none may aim this machine at its own services
            self.emulator.deliverer.exposed = True
        self._socket = _bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        # the emulator's ASGI app itself, not the Emulator that forwards to it: one call less per request
        config = uvicorn.Config(
            self.emulator.app, log_level=log_level, lifespan="off", access_log=False, timeout_keep_alive=30
        )
        self._server = _PromptServer(config)
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "serving" if self._thread is not None else "not serving"
        return f"<EmulatorServer {self.base_url} {state}, {self.emulator!r}>"

    @property
    def listen_address(self) -> str:
        """``host:port`` as the server listens."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The URL to give ``AuthPIAdmin(base_url=...)`` on this machine.

        A server listening on every address (``0.0.0.0``, ``::``) is reached through loopback: the SDK
        accepts plain ``http://`` only for loopback hosts.
        """
        host = _WILDCARD_TO_LOOPBACK.get(self.host, self.host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        """True when only this machine can reach the server."""
        return is_loopback_host(self.host)

    def control(self) -> EmulatorControl:
        """A client of the served emulator's control API, over the socket."""
        return EmulatorControl(self.base_url, self.emulator.control_key)

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C)."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._server.ready.set()  # a start() waiting for a server that failed early stops waiting

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Serve in a background thread; return once it accepts connections."""
        self._thread = threading.Thread(target=self.serve_forever, name="authpi-emulator", daemon=True)
        self._thread.start()
        if not self._server.ready.wait(timeout) or not self._server.started:
            raise RuntimeError("the emulator server did not start")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.request_exit()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
