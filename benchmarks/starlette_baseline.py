"""The baseline the emulator is measured against over a socket: a minimal Starlette app answering one
stored user, served by uvicorn with the emulator server's own settings.

    python benchmarks/starlette_baseline.py    # prints "PORT" once listening on 127.0.0.1
"""

from __future__ import annotations

import socket

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

USER = {"id": "usr_1", "email": "user1@example.com", "status": "active"}


async def get_user(request: Request) -> JSONResponse:
    """One user, as a stored object would be answered."""
    return JSONResponse({"data": {**USER, "id": request.path_params["user_id"]}}, headers={"etag": '"v1"'})


app = Starlette(routes=[Route("/v1/accounts/{account}/issuers/{issuer}/users/{user_id}", get_user)])


if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30)
    uvicorn.Server(config).run(sockets=[sock])
