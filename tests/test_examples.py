"""Every Python example of the README and of the documentation site, executed page by page, in order,
against a strict emulator (today's API: the examples are in today's forms).

All httpx traffic (the SDK's own client and any client an example builds, proxy or not) is routed
to one emulator that knows the ids the examples use (iss_xxx, usr_xxx, wh_xxx, key_xxx, ...).
"""

from __future__ import annotations

import ast
import asyncio
import re
import subprocess
import sys
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

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# the site's hand-written pages (the generated reference pages hold no examples)
PAGES = {"README.md": README} | {
    str(path.relative_to(ROOT)): path.read_text()
    for path in sorted((ROOT / "docs").rglob("*.md"))
    if path.parent.name != "api"
}


def python_blocks(text: str) -> list[str]:
    """The page's Python examples, in order (indented ones, inside a list item, dedented)."""
    pattern = r"^( *)```python\n(.*?)^\1```"
    return [textwrap.dedent(code) for _, code in re.findall(pattern, text, flags=re.DOTALL | re.MULTILINE)]


BLOCKS = python_blocks(README)


def readme_emulator() -> Emulator:
    emulator = Emulator(api_keys=["key_xxx:sec_xxx", "key_test:sec_test"], account_id="acc_xxx", strict=True)
    emulator.add_credential("tok_xxx", "acc_xxx", expires_in=3600)
    emulator.seed("/v1/accounts/me/issuers", {"id": "iss_xxx", "name": "README issuer"})
    emulator.seed(
        "/v1/accounts/me/issuers/iss_xxx/users",
        {"id": "usr_xxx", "username_type": "email", "username": "bob@example.com"},
    )
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
        # a page may send nothing through httpx (its examples make emulators of their own)
        pytest.param("in process", marks=pytest.mark.httpx_mock(assert_all_responses_were_requested=False)),
        pytest.param(
            "socket",
            marks=pytest.mark.httpx_mock(should_mock=_to_loopback, assert_all_responses_were_requested=False),
        ),
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


def test_the_pages_have_their_examples() -> None:
    for name, text in PAGES.items():
        assert len(python_blocks(text)) == text.count("```python"), name  # none skipped by the pattern
    assert len(BLOCKS) >= 3  # the quick start, a strict fixture test, 0.3.0 beside today
    assert sum(len(python_blocks(text)) for text in PAGES.values()) >= 25


async def run_examples(page: str, emulator: Emulator) -> None:
    """Run the page's examples in order in one namespace, as a reader pasting them into one ``main()``
    would: ``admin`` is a client of the key pair the examples use."""

    async def my_refresh_logic() -> SimpleNamespace:
        return SimpleNamespace(access_token=emulator.issue_token("acc_xxx"))

    namespace: dict[str, Any] = {
        "admin": AuthPIAdmin(api_key=("key_xxx", "sec_xxx")),
        "my_refresh_logic": my_refresh_logic,
    }
    for index, block in enumerate(python_blocks(PAGES[page])):
        code = compile(block, f"{page} example {index + 1}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
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
                fresh.close()
                del namespace[name]
    await namespace["admin"].close()


async def test_every_readme_example_runs(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    await run_examples("README.md", emulator)
    printed = capsys.readouterr().out
    assert "'name': 'README issuer'" in printed  # page.data of the quick start
    assert "\nbob@example.com\nalice@example.com\n" in printed  # list_all printed every user
    assert "no such user: req_" in printed  # the caught NotFoundError's reference
    (alice,) = [u for u in emulator.store.table("users", "acc_xxx").values() if u.data["username"].startswith("alice")]
    assert alice.data["profile"] == {"display_name": "Alice L."}  # the ETag-guarded update applied
    assert [w.event_type for w in emulator.writes] == ["user.created", "user.updated"]


@pytest.mark.parametrize("page", [name for name in PAGES if name != "README.md"])
async def test_every_docs_example_runs(page: str, emulator: Emulator) -> None:
    await run_examples(page, emulator)
    assert emulator.divergences == []  # strict: nothing today's API refuses was accepted


async def test_the_guides_examples_change_what_they_say(emulator: Emulator) -> None:
    await run_examples("docs/guides/resources.md", emulator)
    user = emulator.get("/v1/accounts/acc_xxx/issuers/iss_xxx/users/usr_xxx")
    assert user is not None
    assert user["profile"] == {"display_name": "Bob"}  # the ETag-guarded update
    created = {write.event_type for write in emulator.writes}
    assert {"webhook.created", "agent.created", "user.updated", "organization.group.created"} <= created


def test_mypy_accepts_every_example(tmp_path: Path) -> None:
    """Each page's examples, as the inside of one ``async def`` (where ``admin`` is a client), type-check
    unchanged, untyped test functions included (``--check-untyped-defs``)."""
    prelude = [
        "from types import SimpleNamespace",
        "from authpi_admin import AuthPIAdmin",
        'admin = AuthPIAdmin(api_key=("key_xxx", "sec_xxx"))',
        "async def my_refresh_logic() -> SimpleNamespace:",
        '    return SimpleNamespace(access_token="tok_xxx")',
    ]
    for index, (page, text) in enumerate(PAGES.items()):
        body = [textwrap.indent(block, "    ") for block in python_blocks(text)]
        if not body:
            continue
        source = "\n".join([f"# {page}", *prelude, "async def examples() -> None:", "    global admin", *body])
        (tmp_path / f"page_{index}.py").write_text(source)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")  # a user's defaults, not this project's strict settings
    command = ["--config-file", str(tmp_path / "mypy.ini"), "--check-untyped-defs", "--cache-dir", str(tmp_path / "c")]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *command, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.mark.parametrize("program", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_every_example_program_runs(program: str) -> None:
    """The programs of ``examples/`` run as a user runs them, each against its own emulator."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / program)], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()
    assert "Traceback" not in result.stderr
