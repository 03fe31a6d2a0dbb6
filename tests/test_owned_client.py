"""The httpx client the SDK makes for itself is sent through directly: the same wire, none of the unused layers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import AuthPIAdmin, NetworkError
from authpi_admin import http_client as http_client_module

from .transport_helpers import SECRET


def _wire(request: httpx.Request) -> tuple[object, ...]:
    """Everything of a request that reaches the network, headers in order."""
    return request.method, str(request.url), request.headers.multi_items(), request.content, request.extensions


async def _calls(admin: AuthPIAdmin) -> None:
    await admin.issuers.get("iss_1")
    await admin.issuers.create({"name": "Acme"}, idempotency_key="k-1")
    await admin.issuers.list(limit=5, timeout=7)


async def test_the_sdks_own_client_puts_the_same_requests_on_the_wire_as_an_injected_one(
    httpx_mock: HTTPXMock,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/issuers") and request.method == "GET":
            return httpx.Response(200, json={"data": [], "has_more": False})
        return httpx.Response(200, json={"data": {"id": "iss_1"}})

    httpx_mock.add_callback(answer, is_reusable=True)
    async with AuthPIAdmin(account_id="me", api_key=SECRET) as owned:
        await _calls(owned)
    async with (
        httpx.AsyncClient(timeout=30.0) as injected,
        AuthPIAdmin(account_id="me", api_key=SECRET, http_client=injected) as admin,
    ):
        await _calls(admin)
    sent = [_wire(request) for request in httpx_mock.get_requests()]
    assert sent[:3] == sent[3:]
    names = [name for name, _ in httpx_mock.get_requests()[0].headers.multi_items()]
    assert names == ["host", "accept-encoding", "connection", "accept", "user-agent", "authorization"]


async def test_the_sdks_own_client_keeps_no_cookies_and_an_injected_one_keeps_its_own(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"id": "iss_1"}}, headers={"set-cookie": "sid=abc; Path=/"}, is_reusable=True)
    async with AuthPIAdmin(account_id="me", api_key=SECRET) as owned:
        await owned.issuers.get("iss_1")
        await owned.issuers.get("iss_1")
    async with (
        httpx.AsyncClient() as injected,
        AuthPIAdmin(account_id="me", api_key=SECRET, http_client=injected) as admin,
    ):
        await admin.issuers.get("iss_1")
        await admin.issuers.get("iss_1")
    cookies = [request.headers.get("cookie") for request in httpx_mock.get_requests()]
    assert cookies == [None, None, None, "sid=abc"]


async def test_without_httpxs_transport_lookup_the_sdk_sends_through_its_client(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_client_module, "direct_route", lambda http, owned: None)
    httpx_mock.add_response(json={"data": {"id": "iss_1"}}, headers={"set-cookie": "sid=abc; Path=/"}, is_reusable=True)
    async with AuthPIAdmin(account_id="me", api_key=SECRET) as owned:
        assert await owned.issuers.get("iss_1") == {"id": "iss_1"}
        await owned.issuers.get("iss_1")
    second = httpx_mock.get_requests()[1]
    assert second.headers["cookie"] == "sid=abc"  # httpx's own client, cookie jar and all
    assert second.headers["authorization"] == f"Bearer {SECRET}"


@asynccontextmanager
async def _refusing_proxy(seen: list[bytes]) -> AsyncIterator[str]:
    """A proxy that records the first line it is sent, then hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readline())
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


@pytest.mark.httpx_mock(should_mock=lambda request: False)
async def test_the_sdks_own_client_still_tunnels_through_an_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []
    async with _refusing_proxy(seen) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with AuthPIAdmin(account_id="me", api_key=SECRET, retries=False) as admin:
            with pytest.raises(NetworkError) as caught:
                await admin.issuers.get("iss_1")
    assert seen == [b"CONNECT api.authpi.dev:443 HTTP/1.1\r\n"]
    cause = caught.value.__cause__
    assert isinstance(cause, httpx.HTTPError)
    assert cause.request.headers["authorization"] == "[redacted]"


async def test_only_clients_the_sdk_or_its_emulator_made_are_sent_through_directly_and_closed_by_it() -> None:
    from authpi_admin.testing import Emulator

    emulator = Emulator()
    async with httpx.AsyncClient() as users_own:
        made_for_it = emulator.client(account_id="me")
        injected = AuthPIAdmin(account_id="me", api_key=SECRET, http_client=users_own)
        own = AuthPIAdmin(account_id="me", api_key=SECRET)
        assert made_for_it.http._route is not None  # made by the emulator for the SDK
        assert own.http._route is not None
        assert injected.http._route is None
        assert (await made_for_it.issuers.list()).data == []
        for admin in (made_for_it, injected, own):
            await admin.close()
        assert made_for_it.http._http.is_closed  # the SDK's to close, like its own
        assert own.http._http.is_closed
        assert not users_own.is_closed
