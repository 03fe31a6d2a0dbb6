"""What the SDK and its emulator rely on of httpx's, uvicorn's and OpenTelemetry's internals, pinned as behaviour.

Each is used below its public API for speed, within upper bounds in pyproject.toml: a release that
changes what is pinned here fails these tests (CI runs the lowest and the highest allowed versions).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys

import httpx
import pytest
import uvicorn

from authpi_admin.testing import EmulatorServer
from authpi_admin.testing.server import _PromptServer

# ------------------------------------------------------------------------------------ httpx: the fast path


def test_httpx_picks_a_transport_per_url_as_send_does() -> None:
    mounted = httpx.MockTransport(lambda request: httpx.Response(200))
    default = httpx.MockTransport(lambda request: httpx.Response(200))
    http = httpx.AsyncClient(transport=default, mounts={"https://special.test": mounted})
    assert http._transport_for_url(httpx.URL("https://special.test/v1/me")) is mounted
    assert http._transport_for_url(httpx.URL("https://api.authpi.dev/v1/me")) is default


def test_httpx_routes_an_environment_proxy_through_the_same_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    http = httpx.AsyncClient()
    proxied = http._transport_for_url(httpx.URL("https://api.authpi.dev/v1/me"))
    assert proxied is not http._transport  # the proxy's transport, as send() would use
    assert isinstance(proxied, httpx.AsyncHTTPTransport)


async def test_a_transport_answers_a_request_built_by_hand_with_its_timeout_extension() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    request = httpx.Request("GET", "https://api.authpi.dev/v1/me", extensions={"timeout": httpx.Timeout(3).as_dict()})
    response = await http._transport_for_url(request.url).handle_async_request(request)
    assert response.status_code == 200
    assert seen[0].extensions["timeout"] == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0}
    await http.aclose()


# ------------------------------------------------------------------------------- uvicorn: the prompt stop


def test_the_server_overrides_uvicorn_methods_of_the_same_shape() -> None:
    for name in ("startup", "main_loop", "shutdown"):
        ours = inspect.signature(getattr(_PromptServer, name))
        theirs = inspect.signature(getattr(uvicorn.Server, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert inspect.iscoroutinefunction(getattr(uvicorn.Server, name)), name
    assert list(inspect.signature(uvicorn.Server.on_tick).parameters) == ["self", "counter"]


def test_uvicorn_keeps_the_state_the_stop_reads() -> None:
    with EmulatorServer() as server:
        inner = server._server
        assert inner.started
        assert isinstance(inner.server_state.connections, set)
        assert isinstance(inner.server_state.tasks, set)
        assert all(isinstance(listening, asyncio.AbstractServer) for listening in inner.servers)
        assert hasattr(inner.lifespan, "shutdown")
        thread = server._thread
    assert thread is not None and not thread.is_alive()  # the stop ended the serving thread


async def test_a_response_given_its_body_as_read_reads_as_one_built_with_content() -> None:
    """The emulator's in-process transport sets httpx's private ``_content`` (transport.answered): such a
    response must read exactly as ``Response(content=...)`` does, for the SDK and for a user's own code."""
    from authpi_admin._reading import read_body
    from authpi_admin.testing.transport import answered

    body = '{"data": {"name": "Ünïcode"}}'.encode()
    request = httpx.Request("GET", "http://localhost/v1/x")
    headers = [("content-type", "application/json"), ("content-length", str(len(body)))]
    ours, theirs = answered(200, headers, body, request), httpx.Response(200, headers=headers, content=body)
    for response in (ours, theirs):
        assert response.is_stream_consumed and response.content == body and response.text == body.decode()
        assert response.json() == {"data": {"name": "Ünïcode"}}
        assert b"".join(response.iter_bytes()) == body
        assert [chunk async for chunk in response.aiter_bytes()] == [body]
    assert ours.headers == theirs.headers
    assert await read_body(ours, error=False) == body and await read_body(ours, error=True) == body


# ------------------------------------------------------------------- opentelemetry-api: the global provider

_GLOBAL_PROVIDER = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from authpi_admin._tracing import Tracing

tracing = Tracing(enabled=True, provider=None)
named = trace._TRACER_PROVIDER is not None or tracing.tools() is not None
if named:  # OTEL_PYTHON_TRACER_PROVIDER names the SDK's: loaded by the public call, the global set by it
    assert trace._TRACER_PROVIDER is trace.get_tracer_provider() and tracing.tools() is not None
else:
    assert trace._TRACER_PROVIDER is None and tracing.tools() is None  # none set: the global says so
    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    assert trace._TRACER_PROVIDER is provider  # what set_tracer_provider sets is what the SDK reads
    assert tracing.tools() is not None and tracing.tools().provider is provider
print("named" if named else "set")
"""


@pytest.mark.parametrize("variable", [None, "sdk_tracer_provider"])
def test_the_global_tracer_provider_is_the_modules_global(variable: str | None) -> None:
    """Tracing reads ``opentelemetry.trace._TRACER_PROVIDER`` (None until set) instead of asking
    ``get_tracer_provider()``, which looks the environment up on every call."""
    environment = {k: v for k, v in os.environ.items() if k != "OTEL_PYTHON_TRACER_PROVIDER"}
    if variable is not None:
        environment["OTEL_PYTHON_TRACER_PROVIDER"] = variable
    result = subprocess.run(
        [sys.executable, "-c", _GLOBAL_PROVIDER], capture_output=True, text=True, timeout=120, env=environment
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("set" if variable is None else "named")
