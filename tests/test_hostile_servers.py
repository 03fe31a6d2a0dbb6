"""Reliability, second round: servers and callbacks that misbehave in ways the first round did not cover.

Each test fails without the guard it names. Where the misbehaviour is on the wire (a dripped body, a
decompression bomb, a proxy in the environment) it is served over a real loopback socket.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
import zlib
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    AuthenticationError,
    AuthPIAdmin,
    InternalServerError,
    MalformedResponseError,
    NetworkError,
    RequestTimeoutError,
    ServiceUnavailableError,
)
from authpi_admin.testing import EmulatorServer

from .scripted_server import Scripted, scripted_server
from .transport_helpers import SECRET, connect

pytestmark = pytest.mark.usefixtures("wire_path")  # every test on both paths to the wire

DEEP = 100_000


def _gzip_of_zeros(mebibytes: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: the gzip wrapper
    zeros = b"\0" * (1 << 20)
    return b"".join([*(packer.compress(zeros) for _ in range(mebibytes)), packer.flush()])


def _raw_client(base_url: str) -> AuthPIAdmin:
    """A client for a scripted server: one attempt, 0.3.0's account path (no /v1/me lookup)."""
    return connect(account_id="me", api_key=SECRET, base_url=base_url, retries=False)


# ------------------------------------------------------------------------------------- whole-call deadlines


async def test_timeout_bounds_the_whole_attempt_not_each_read() -> None:
    body = b'{"id": "usr_1", "padding": "' + b"x" * 20 + b'"}'
    headers = [("content-type", "application/json"), ("content-length", str(len(body)))]
    drip = Scripted(200, headers, [bytes([byte]) for byte in body], pause=0.25)  # about 12 s in all
    server = scripted_server([drip])
    async with server as base_url, _raw_client(base_url) as admin:
        started = time.monotonic()
        with pytest.raises(
            RequestTimeoutError,
            match=r"^The request timed out: the attempt took longer than 1 s, connect to last byte "
            r"\(GET 127\.0\.0\.1:\d+\) \[timeout\]$",
        ):
            await admin.issuer("iss_1").users.get("usr_1", timeout=1)
        elapsed = time.monotonic() - started
    assert elapsed < 5  # a behaviour bound, not a speed measurement: without the deadline it is about 12 s


async def test_a_hung_token_refresh_is_bounded_by_the_call_timeout_and_not_shared_later(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(status_code=401, json={"error": "token_expired"}, is_reusable=True)
    calls = 0
    never = asyncio.Event()

    async def hangs() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        await never.wait()
        return {"access_token": "never"}

    admin = connect(access_token="tok_old", account_id="acc_1", on_token_expired=hangs)
    for _ in range(2):
        with pytest.raises(AuthenticationError, match=r"did not return within 0\.3 s"):
            await admin.issuers.list(timeout=0.3)
    assert calls == 2  # the second call started its own refresh instead of joining the hung one
    await admin.close()


# -------------------------------------------------------------------------------------------- odd bodies


@pytest.mark.parametrize("status", [200, 201])
async def test_a_success_body_nested_too_deep_is_malformed(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(status_code=status, content=b"[" * DEEP + b"]" * DEEP)
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="nested too deeply"):
            await admin.issuers.get("iss_1")


async def test_an_error_body_nested_too_deep_keeps_its_status_class(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=500, content=b'{"a": ' * DEEP + b"1" + b"}" * DEEP)
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(InternalServerError) as caught:
            await admin.issuers.create({"name": "x"})
    assert caught.value.raw_body is not None and len(caught.value.raw_body) == 4096


async def test_a_request_body_nested_too_deep_is_refused_before_sending(httpx_mock: HTTPXMock) -> None:
    deep: Any = {}
    for _ in range(DEEP):
        deep = {"a": deep}
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(ValueError, match="nested too deeply"):
            await admin.issuers.create({"metadata": deep})
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("body", [b"null", b'{"data": null}'])
async def test_null_for_an_object_is_malformed(httpx_mock: HTTPXMock, body: bytes) -> None:
    httpx_mock.add_response(content=body, headers={"content-type": "application/json"})
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="something other than a JSON object"):
            await admin.issuers.get("iss_1")


async def test_an_empty_body_for_an_object_is_still_an_empty_dict(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, content=b"")
    async with connect(account_id="me", api_key=SECRET) as admin:
        assert await admin.issuers.get("iss_1") == {}


async def test_has_more_with_an_empty_cursor_never_yields_an_item_twice(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"id": "a"}, {"id": "b"}], "has_more": True, "next_cursor": ""})
    seen: list[str] = []
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="empty cursor"):
            async for item in admin.issuers.list_all():
                seen.append(item["id"])
    assert seen == ["a", "b"]
    assert len(httpx_mock.get_requests()) == 1


async def test_a_cursor_cycle_is_caught_before_any_page_is_fetched_twice(httpx_mock: HTTPXMock) -> None:
    ring = {None: "c1", "c1": "c2", "c2": "c3", "c3": "c1"}  # three pages, then back to the second

    def page(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        return httpx.Response(200, json={"data": [{"id": cursor}], "has_more": True, "next_cursor": ring[cursor]})

    httpx_mock.add_callback(page, is_reusable=True)
    seen: list[Any] = []
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="repeated a pagination cursor"):
            async for item in admin.issuers.list_all():
                seen.append(item["id"])
    assert seen == [None, "c1", "c2", "c3"]  # each once


# ------------------------------------------------------------------------------------- decompression bombs


async def test_a_gzip_bomb_of_an_error_reads_a_bounded_amount_and_keeps_the_class() -> None:
    bomb = _gzip_of_zeros(256)  # about 250 KB on the wire, 256 MiB inflated
    headers = [("content-encoding", "gzip"), ("content-length", str(len(bomb)))]
    server = scripted_server([Scripted(503, headers, [bomb])])
    async with server as base_url, _raw_client(base_url) as admin:
        tracemalloc.start()
        try:
            with pytest.raises(ServiceUnavailableError) as caught:
                await admin.issuers.list()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.raw_body is not None and len(caught.value.raw_body) == 4096
    assert peak < 16 * 1024 * 1024  # the body inflated whole would be 256 MiB


async def test_a_success_body_past_the_limit_is_malformed_not_a_memory_error() -> None:
    bomb = _gzip_of_zeros(80)  # past the 64 MiB a success body may inflate to
    headers = [("content-encoding", "gzip"), ("content-length", str(len(bomb)))]
    server = scripted_server([Scripted(200, headers, [bomb])])
    async with server as base_url, _raw_client(base_url) as admin:
        with pytest.raises(MalformedResponseError, match="more than 64 MiB"):
            await admin.issuers.list()


# ---------------------------------------------------------------------------------- secrets and headers


@pytest.mark.parametrize("token", ["new\r\nx-injected: 1", "tökén", "bad\x00"])
async def test_a_refreshed_token_that_cannot_be_a_header_is_an_authentication_error(
    httpx_mock: HTTPXMock, token: str
) -> None:
    httpx_mock.add_response(status_code=401)

    async def refresh() -> dict[str, str]:
        return {"access_token": token}

    async with connect(access_token="tok_old", account_id="acc_1", on_token_expired=refresh) as admin:
        with pytest.raises(AuthenticationError, match="cannot be sent as a header") as caught:
            await admin.issuers.list()
    error = caught.value
    texts = [str(error), repr(error), str(vars(error)), str(error.__cause__), repr(error.__cause__)]
    assert all(token not in text and "tök" not in text for text in texts)
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize(
    "bad", ["..;", ".;", "..;x=1", ";x", "%00", "a%0d%0ab", "%1F", "%7f", "x%0A", "..;jsessionid=1"]
)
async def test_ids_that_servers_normalise_are_refused(httpx_mock: HTTPXMock, bad: str) -> None:
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(ValueError, match="Invalid resource_id"):
            await admin.issuer("iss_1").users.delete(bad)
        with pytest.raises(ValueError, match="Invalid issuer_id"):
            admin.issuer(bad)
    assert httpx_mock.get_requests() == []


async def test_ids_with_a_semicolon_elsewhere_are_still_allowed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=204)
    async with connect(account_id="me", api_key=SECRET) as admin:
        await admin.issuer("iss_1").users.delete("usr;1")
    request = httpx_mock.get_request()
    assert request is not None and request.url.raw_path.endswith(b"/users/usr;1")


async def test_the_cause_of_a_network_error_does_not_carry_the_credential(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), is_reusable=True)
    async with connect(account_id="me", api_key=SECRET, retries=False) as admin:
        with pytest.raises(NetworkError) as caught:
            await admin.issuers.list()
    cause = caught.value.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert cause.request.headers["authorization"] == "[redacted]"
    assert cause.__traceback__ is None  # httpx's frames held the headers in their locals
    frames = []
    traceback = caught.value.__traceback__
    while traceback is not None:
        frames.append(traceback.tb_frame)
        traceback = traceback.tb_next
    assert all(SECRET not in repr(value) for frame in frames for value in frame.f_locals.values())


async def test_plain_http_never_goes_through_an_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # a "proxy" nobody listens on: a client that used it would fail, and would have sent the key to it
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    with EmulatorServer() as server:
        # the SDK's own client only: an injected client's trust_env is its owner's choice
        async with connect(account_id="me", api_key="key_test", base_url=server.base_url, http_client=None) as admin:
            assert (await admin.issuers.list()).data == []


async def test_a_cycle_longer_than_the_window_still_ends(httpx_mock: HTTPXMock) -> None:
    length = 300  # more pages than the exact window remembers

    def page(request: httpx.Request) -> httpx.Response:
        at = int(request.url.params.get("cursor") or 0)
        return httpx.Response(200, json={"data": [at], "has_more": True, "next_cursor": str((at + 1) % length)})

    httpx_mock.add_callback(page, is_reusable=True)
    fetched = 0
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="repeated a pagination cursor"):
            async for _ in admin.issuers.list_all():
                fetched += 1
    assert length <= fetched <= 3 * length
