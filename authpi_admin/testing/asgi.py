"""The emulator as an ASGI app, for uvicorn (or any ASGI server): the socket side of `wire`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .dispatch import MAX_BODY_BYTES, Dispatcher
from .wire import Incoming, Reply, first_values

__all__ = ["AsgiApp", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class AsgiApp:
    """Serves a `Dispatcher` over ASGI 3 (HTTP and lifespan)."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"the emulator serves HTTP only, not {scope['type']!r}")
        headers = first_values([(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]])
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            body: bytes | None = b""  # no body follows (a GET): nothing to wait for
        else:
            body = await _read_body(receive, declared or "")
        query = scope.get("query_string", b"").decode("latin-1")
        reply = await self.dispatcher.dispatch(Incoming(scope["method"], scope["path"], query, headers, body))
        await _send(reply, send, head=scope["method"] == "HEAD")


# How much of a body past MAX_BODY_BYTES is read and thrown away before the 413 is sent. A server that
# answers while the client still sends, then closes, resets the connection under the client, which then
# never reads the 413; past this bound the connection is closed all the same.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024


async def _read_body(receive: Receive, declared: str) -> bytes | None:
    """The request body, or None once it passes `MAX_BODY_BYTES` (the rest is drained, up to a bound,
    so that the client reads the 413)."""
    chunks: list[bytes] = []
    size = 0
    keep = not (declared.isdigit() and int(declared) > MAX_BODY_BYTES)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks) if keep else None
        chunk = message.get("body", b"")
        size += len(chunk)
        if keep and size > MAX_BODY_BYTES:
            keep, chunks = False, []
        if keep:
            chunks.append(chunk)
        if not message.get("more_body", False) or size > DRAIN_LIMIT_BYTES:
            return b"".join(chunks) if keep else None


async def _send(reply: Reply, send: Send, *, head: bool) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.wire_headers()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if reply.cut:
        # the start of a body, then the app returns without finishing it: the server closes the connection.
        # Raising instead would print "Exception in ASGI application" and a traceback for a fault on purpose.
        await send({"type": "http.response.body", "body": reply.body, "more_body": True})
        return
    await send({"type": "http.response.body", "body": b"" if head else reply.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to set up or tear down: acknowledge both."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
