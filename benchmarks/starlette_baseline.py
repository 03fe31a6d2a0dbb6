"""The baseline the emulator is measured against over a socket: a minimal Starlette app answering one
stored user, served by uvicorn with the emulator server's own settings.

    python benchmarks/starlette_baseline.py '{"data": {...}}'   # prints "PORT" once listening on 127.0.0.1

It answers every GET of a user with the JSON object it was given (the emulator's own answer for the
user, so both servers encode the same object).
"""

from __future__ import annotations

import json
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ANSWER = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {"data": {"id": "usr_1"}}


async def get_user(request: Request) -> JSONResponse:
    """The one user, encoded per request as a server would."""
    return JSONResponse(ANSWER, headers={"etag": '"v1"'})


app = Starlette(routes=[Route("/v1/accounts/{account}/issuers/{issuer}/users/{user_id}", get_user)])


if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30)
    uvicorn.Server(config).run(sockets=[sock])
