"""An httpx transport that hands requests straight to an emulator's dispatcher: no socket, no ASGI.

In process, the emulator is a test double, and it should cost about what a mock does: a request goes
from httpx's ``Request`` to the dispatcher's `Incoming` and back as an ``httpx.Response``, without the ASGI messages,
tasks and framework a served app needs.
"""

from __future__ import annotations

import httpx

from .dispatch import MAX_BODY_BYTES, Dispatcher, DroppedConnection
from .wire import Incoming, first_values

__all__ = ["EmulatorTransport", "answered"]


def answered(status: int, headers: list[tuple[str, str]], body: bytes, request: httpx.Request) -> httpx.Response:
    """An ``httpx.Response`` that holds ``body`` as read already, as ``Response(content=body)`` would, without
    reading it through httpx's decoders again (a third of the emulator's cost of a small answer in process).

    It sets httpx's private ``_content`` beside the public stream: httpx is bounded above in
    ``pyproject.toml``, and ``tests/test_dependency_pins.py`` pins that such a response reads as one built
    with ``content=``.
    """
    response = httpx.Response(status, headers=headers, stream=httpx.ByteStream(body), request=request)
    response._content = body
    response.is_stream_consumed = True
    return response


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Answers every request from the emulator whose dispatcher it holds."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The emulator's answer; a ``drop`` fault raises [`DroppedConnection`][authpi_admin.testing.DroppedConnection],
        as a cut socket would."""
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
        return answered(reply.status, reply.wire_headers(), b"" if request.method == "HEAD" else reply.body, request)
