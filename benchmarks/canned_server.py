"""A fast HTTP/1.1 server that answers every request with one canned user, for client-side benchmarks.

    python benchmarks/canned_server.py      # prints "PORT" once listening on 127.0.0.1

Keep-alive, no parsing beyond finding each request's end (the benchmarks send GETs without bodies), so
the client side is what a benchmark against it measures.
"""

from __future__ import annotations

import asyncio
import json

BODY = json.dumps({"data": {"id": "usr_1", "email": "user1@example.com", "status": "active"}}).encode()
ANSWER = (
    b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\netag: "v1"\r\n'
    + f"content-length: {len(BODY)}\r\n\r\n".encode()
    + BODY
)


class _Canned(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        self.pending += data
        answers = self.pending.count(b"\r\n\r\n")
        if answers:
            self.pending = self.pending[self.pending.rfind(b"\r\n\r\n") + 4 :]
            self.transport.write(ANSWER * answers)


async def _serve() -> None:
    server = await asyncio.get_running_loop().create_server(_Canned, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve())
