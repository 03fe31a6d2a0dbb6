"""The emulator's two front doors, its own in-process transport and its ASGI app, answer alike; and its router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from authpi_admin.testing import DroppedConnection, Emulator, EmulatorServer, EmulatorTransport
from authpi_admin.testing.router import Router

KEY = {"authorization": "Bearer key_test"}
ISSUERS = "/v1/accounts/me/issuers"


def test_a_literal_segment_wins_over_a_placeholder_and_params_come_in_path_order() -> None:
    router = Router({"/a/{x}/notes/{note}": "note", "/a/{x}/notes/count": "count", "/a/{x}": "a"})
    assert router.match("/a/1/notes/count") == ("count", {"x": "1"})
    assert router.match("/a/1/notes/n9") == ("note", {"x": "1", "note": "n9"})
    assert list(router.match("/a/1/notes/n9")[1]) == ["x", "note"]  # type: ignore[index]
    assert router.match("/a/1") == ("a", {"x": "1"})


def test_placeholders_of_other_names_at_one_place_are_each_tried() -> None:
    router = Router({"/inv/{invitation}/resend": "resend", "/inv/{org}/{invitation}": "get"})
    assert router.match("/inv/i1/resend") == ("resend", {"invitation": "i1"})
    assert router.match("/inv/o1/i1") == ("get", {"org": "o1", "invitation": "i1"})


@pytest.mark.parametrize("path", ["/a//notes", "/a/", "a/1", "/a/1/notes", "/b/1", "", "/a/1/notes/count/x"])
def test_paths_that_match_no_template(path: str) -> None:
    router = Router({"/a/{x}/notes/{note}": "note", "/a/{x}/notes/count": "count", "/a/{x}": "a"})
    assert router.match(path) is None


def _comparable(response: httpx.Response) -> tuple[Any, ...]:
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "server")}
    return response.status_code, headers, response.content


def _script(client: httpx.Client) -> list[httpx.Response]:
    """The same conversation with either door: creates, reads, lists, errors of every kind."""
    created = client.post(ISSUERS, json={"name": "Acme"}, headers={**KEY, "idempotency-key": "k1"})
    issuer = created.json()["data"]["id"]
    return [
        created,
        client.post(ISSUERS, json={"name": "Acme"}, headers={**KEY, "idempotency-key": "k1"}),  # a replay
        client.get(f"{ISSUERS}/{issuer}", headers=KEY),
        client.head(f"{ISSUERS}/{issuer}", headers=KEY),
        client.get(ISSUERS, params={"limit": 1}, headers=KEY),
        client.get(ISSUERS, params={"limit": "many"}, headers=KEY),
        client.post(ISSUERS, content=b"{", headers={**KEY, "content-type": "application/json"}),
        client.put(ISSUERS, headers=KEY),
        client.get("/v1/nothing", headers=KEY),
        client.get(ISSUERS),
        client.get("/v1/me", headers=KEY),
        client.delete(f"{ISSUERS}/{issuer}", headers=KEY),
    ]


class _SyncOverAsync(httpx.BaseTransport):
    """Drives the async in-process transport from a synchronous client, to compare with a socket."""

    def __init__(self, transport: EmulatorTransport) -> None:
        import asyncio

        self._transport = transport
        self._loop = asyncio.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self._transport.handle_async_request(request)
            await response.aread()
            return response

        response = self._loop.run_until_complete(send())
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)

    def close(self) -> None:
        self._loop.close()


@pytest.fixture
def both() -> Iterator[tuple[list[httpx.Response], list[httpx.Response]]]:
    in_process, served = Emulator(), Emulator()
    transport = _SyncOverAsync(in_process.transport())
    with (
        httpx.Client(transport=transport, base_url="http://localhost") as local,
        EmulatorServer(served) as server,
        httpx.Client(base_url=server.base_url) as remote,
    ):
        yield _script(local), _script(remote)


def test_the_in_process_transport_answers_byte_for_byte_as_the_socket_does(
    both: tuple[list[httpx.Response], list[httpx.Response]],
) -> None:
    local, remote = both
    assert [_comparable(r) for r in local] == [_comparable(r) for r in remote]
    statuses = [r.status_code for r in local]
    assert statuses == [201, 201, 200, 200, 200, 400, 400, 405, 404, 401, 200, 204]
    assert local[1].headers["idempotent-replayed"] == "true"
    assert local[3].content == b"" and local[3].headers["content-length"] == local[2].headers["content-length"]
    assert local[7].headers["allow"] == "GET, HEAD, POST"
    assert local[2].headers["content-type"] == "application/json"


async def test_a_dropped_connection_in_process_is_a_transport_error_carrying_its_request() -> None:
    emulator = Emulator()
    emulator.faults.add(drop=True, times=1)
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://e", headers=KEY) as http:
        with pytest.raises(DroppedConnection) as caught:
            await http.get(ISSUERS)
        assert caught.value.request.url.path == ISSUERS
        assert (await http.get(ISSUERS)).status_code == 200


async def test_the_asgi_app_acknowledges_the_lifespan_and_refuses_other_protocols() -> None:
    emulator = Emulator()
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await emulator({"type": "lifespan"}, receive, send)
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    with pytest.raises(ValueError, match="HTTP only"):
        await emulator({"type": "websocket"}, receive, send)


def test_a_remembered_match_hands_out_a_fresh_params_dict_each_time() -> None:
    router = Router({"/a/{x}": "a"})
    first = router.match("/a/1")
    assert first is not None
    first[1]["x"] = "changed"
    assert router.match("/a/1") == ("a", {"x": "1"})
    assert router.match("/b") is None and router.match("/b") is None  # a miss is remembered too
