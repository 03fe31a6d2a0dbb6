"""Every Python example of the README, executed in order against the emulator.

All httpx traffic (the SDK's own client and any client an example builds, proxy or not) is routed
to one emulator that knows the ids the README uses (iss_xxx, usr_xxx, wh_xxx, key_xxx, ...).
"""

from __future__ import annotations

import ast
import asyncio
import re
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import AuthPIAdmin
from authpi_admin.testing import Emulator, EmulatorServer

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = [
    textwrap.dedent(code)
    for _, code in re.findall(r"^( *)```python\n(.*?)^\1```", README, flags=re.DOTALL | re.MULTILINE)
]


def readme_emulator() -> Emulator:
    emulator = Emulator(api_keys=["key_xxx", "key_xxx:sec_xxx", "key_test"], account_id="acc_xxx")
    emulator.add_credential("tok_xxx", "acc_xxx", expires_in=3600)
    emulator.seed("/v1/accounts/me/issuers", {"id": "iss_xxx", "name": "README issuer"})
    emulator.seed("/v1/accounts/me/issuers/iss_xxx/users", {"id": "usr_xxx", "email": "bob@example.com"})
    emulator.add_session("iss_xxx", "usr_xxx", id="ses_xxx")
    emulator.seed("/v1/accounts/me/issuers/iss_xxx/organizations", {"id": "org_xxx", "name": "README org"})
    emulator.seed(
        "/v1/accounts/me/webhooks",
        {"id": "wh_xxx", "name": "hook", "url": "https://hooks.example.com", "auth": {"type": "none"}, "events": []},
    )
    return emulator


def _to_loopback(request: httpx.Request) -> bool:
    """Mock every request except the ones forwarded to the emulator's socket."""
    return request.url.host != "127.0.0.1"


@pytest.fixture(
    params=[
        "in process",
        pytest.param("socket", marks=pytest.mark.httpx_mock(should_mock=_to_loopback)),
    ]
)
async def emulator(request: pytest.FixtureRequest, httpx_mock: HTTPXMock) -> AsyncIterator[Emulator]:
    """The README's emulator; every httpx request is forwarded to it, in process or over a real socket."""
    emulator = readme_emulator()
    if request.param == "in process":
        transport = emulator.transport()

        async def forward(outgoing: httpx.Request) -> httpx.Response:
            answer = await transport.handle_async_request(outgoing)
            content = await answer.aread()
            return httpx.Response(answer.status_code, headers=answer.headers, content=content)

        httpx_mock.add_callback(forward, is_reusable=True)
        yield emulator
        return
    with EmulatorServer(emulator) as server, httpx.Client() as real:
        # a blocking client: it serves examples on any event loop (the quick start runs its own)

        def relay(outgoing: httpx.Request) -> httpx.Response:
            url = outgoing.url.copy_with(scheme="http", host="127.0.0.1", port=server.port)
            relayed = httpx.Request(outgoing.method, url, headers=outgoing.headers, content=outgoing.content)
            answer = real.send(relayed)
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

        httpx_mock.add_callback(relay, is_reusable=True)
        yield emulator


def test_readme_has_the_examples() -> None:
    assert len(BLOCKS) == README.count("```python") >= 15  # none skipped by the pattern
    assert any("list_all" in block for block in BLOCKS)


async def test_every_readme_example_runs(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    async def my_refresh_logic() -> SimpleNamespace:
        return SimpleNamespace(access_token=emulator.issue_token("acc_xxx"))

    namespace: dict[str, Any] = {
        "admin": AuthPIAdmin(api_key="key_xxx"),
        "my_refresh_logic": my_refresh_logic,
    }
    for index, block in enumerate(BLOCKS):
        code = compile(block, f"README.md example {index + 1}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        if "asyncio.run(" in block:
            # a whole program, run as pasted: asyncio.run() needs a thread with no running loop
            await asyncio.to_thread(exec, code, namespace)
            continue
        result = eval(code, namespace)
        if result is not None:
            await result
        for name, value in list(namespace.items()):
            if name.startswith("test_") and callable(value):
                # a pytest example: call it as pytest would, with the plugin's fixtures (strict if marked so)
                marks = getattr(value, "pytestmark", [])
                fresh = Emulator(strict=any(m.name == "authpi" and m.kwargs.get("strict") for m in marks))
                async with fresh.client() as client:
                    await value(client, fresh)
                del namespace[name]
    printed = capsys.readouterr().out
    assert "'name': 'README issuer'" in printed  # page.data of the quick start
    assert "'username': 'alice@example.com'" in printed  # list_all printed the created user
    user = emulator.get("/v1/accounts/me/issuers/iss_xxx/users/usr_xxx")
    assert user is not None
    assert user["profile"] == {"display_name": "Bob"}  # the ETag-guarded update
    created = {write.event_type for write in emulator.writes}
    assert {"user.created", "webhook.created", "agent.created", "user.updated"} <= created
