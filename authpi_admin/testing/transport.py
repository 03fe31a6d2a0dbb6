"""An httpx transport that hands requests straight to an emulator's dispatcher: no socket, no ASGI.

In process, the emulator is a test double, and it should cost about what a mock does: a request goes
from httpx's ``Request`` to the dispatcher's :class:`~.wire.Incoming` and back as an ``httpx.Response``,
without the ASGI messages, tasks and framework a served app needs.
"""

from __future__ import annotations

import httpx

from .dispatch import MAX_BODY_BYTES, Dispatcher, DroppedConnection
from .wire import Incoming, first_values

__all__ = ["EmulatorTransport"]


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Answers every request from the emulator whose dispatcher it holds."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The emulator's answer; a ``drop`` fault raises :class:`DroppedConnection`, as a cut socket would."""
        body = await request.aread()
        url = request.url
        incoming = Incoming(
            request.method,
            url.path,
            url.query.decode("latin-1"),
            first_values(request.headers.multi_items()),
            body if len(body) <= MAX_BODY_BYTES else None,
        )
        reply = await self._dispatcher.dispatch(incoming)
        if reply.cut:
            raise DroppedConnection("the emulator dropped the connection (injected fault)", request=request)
        content = b"" if request.method == "HEAD" else reply.body
        return httpx.Response(reply.status, headers=reply.wire_headers(), content=content, request=request)
