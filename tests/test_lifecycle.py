"""The client's life: closing, injected httpx clients, and requests after close."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    ClosedClientError,
    ConfigurationError,
)

from .conftest import run_isolated
from .transport_helpers import BASE, SECRET, connect, make

pytestmark = pytest.mark.usefixtures("wire_path")  # every test on both paths to the wire


async def test_closed_client_refuses_requests(httpx_mock: HTTPXMock) -> None:
    client = make()
    await client.close()
    await client.close()  # closing twice is harmless
    with pytest.raises(ClosedClientError) as caught:
        await client.request("GET", "/v1/x")
    error = caught.value
    assert (error.error, error.status_code, error.error_description) == (
        "closed_client",
        0,
        "Cannot make requests after the client has been closed",
    )
    assert httpx_mock.get_requests() == []


async def test_injected_client_is_used_and_left_open(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"ok": 1})
    async with httpx.AsyncClient(base_url="https://ignored.test", headers={"x-from-injected": "1"}) as injected:
        client = make(http_client=injected)
        await client.request("GET", "/v1/x")
        await client.close()
        assert not injected.is_closed
        request = httpx_mock.get_request()
        assert request is not None
        assert str(request.url) == f"{BASE}/v1/x"
        assert request.headers["x-from-injected"] == "1"
        with pytest.raises(ClosedClientError):
            await client.request("GET", "/v1/x")


async def test_injected_client_closed_elsewhere_is_a_closed_client_error() -> None:
    injected = httpx.AsyncClient()
    client = make(http_client=injected)
    await injected.aclose()
    with pytest.raises(ClosedClientError):
        await client.request("GET", "/v1/x")


async def test_owned_client_is_closed() -> None:
    client = make(http_client=None)  # the SDK's own, on either path
    await client.close()
    assert client.is_closed
    assert client._http.is_closed


def test_a_client_reused_on_a_second_event_loop_says_to_create_one_per_loop(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [], "has_more": False}, is_reusable=True)
    admin = connect(account_id="me", api_key=SECRET)
    assert run_isolated(admin.issuers.list()).data == []
    with pytest.raises(ConfigurationError, match="Create one AuthPIAdmin per event loop"):
        run_isolated(admin.issuers.list())
    assert len(httpx_mock.get_requests()) == 1
