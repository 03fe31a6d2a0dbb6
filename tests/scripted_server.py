"""A raw HTTP/1.1 server on loopback that answers with exactly the bytes a test scripts, as slowly as it says.

For the misbehaviours no real framework would produce: a body dripped one byte at a time, a gzip body that
inflates a thousandfold. Each connection gets the next scripted answer, then is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class Scripted:
    """One answer: status line and headers, then the body in chunks with ``pause`` seconds before each."""

    status: int
    headers: Sequence[tuple[str, str]]
    chunks: Sequence[bytes]
    pause: float = 0.0


@asynccontextmanager
async def scripted_server(answers: Sequence[Scripted]) -> AsyncIterator[str]:
    """Serve ``answers`` in turn (the last one again once they run out); yields the base URL."""
    served = 0
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        answer = answers[min(served, len(answers) - 1)]
        served += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            head = [f"HTTP/1.1 {answer.status} X", *(f"{k}: {v}" for k, v in answer.headers), "", ""]
            writer.write("\r\n".join(head).encode())
            await writer.drain()
            for chunk in answer.chunks:
                if answer.pause:
                    await asyncio.sleep(answer.pause)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up first: what the tests expect of it
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in handlers:  # a dripping answer the client gave up on
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()
