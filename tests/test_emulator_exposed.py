"""Safe when exposed, and state that survives: empty keys are refused, `serve` beyond loopback needs keys of
its own, an exposed emulator delivers to no local address unless told to, and `serve --state` checks its
file at start, writes it while it changes (a kill loses at most one interval) and keeps the clock."""

from __future__ import annotations

import asyncio
import base64
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from authpi_admin.testing import Emulator, EmulatorServer
from authpi_admin.testing.__main__ import main
from authpi_admin.testing.deliveries import Deliverer
from authpi_admin.testing.snapshot import load_state, save_state

ACCOUNT = "/v1/accounts/acc_test"
KEYS = ["--api-key", "key_own:sec_own", "--control-key", "ctl_own"]
API = {"authorization": "Basic " + base64.b64encode(b"key_own:sec_own").decode()}
CLI = [sys.executable, "-m", "authpi_admin.testing", "serve", "--port", "0", *KEYS]


@pytest.mark.parametrize(
    "options",
    [{"control_key": ""}, {"control_key": "  "}, {"api_keys": [""]}, {"api_keys": ["key:"]}, {"api_keys": [":sec"]}],
)
def test_an_empty_key_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        Emulator(**options)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--control-key", ""], "control_key must not be empty"),
        (["--api-key", ""], "an API key must not be empty"),
        (["--api-key", "key_x:"], "an API key must not be empty"),
        (["--host", "0.0.0.0"], "--host 0.0.0.0 lets other machines reach the emulator, and its default keys"),
        (["--host", "0.0.0.0", "--api-key", "k:s"], "give keys of your own with --api-key ID:SECRET and"),
        (["--host", "0.0.0.0", "--control-key", "ctl_x"], "its default keys are public"),
        (["--save-every", "0"], "--save-every must be a number of seconds from 0.1 to 86400, not 0"),
        (["--save-every", "nan"], "--save-every must be a number of seconds from 0.1 to 86400, not nan"),
    ],
)
def test_serve_refuses_with_one_line_and_exit_2(
    arguments: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--port", "0", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and err.count("\n") == 1


def test_serve_beyond_loopback_starts_with_keys_of_its_own() -> None:
    with subprocess.Popen(
        [*CLI, "--host", "0.0.0.0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("AuthPI emulator listening on 0.0.0.0:"), process.stderr and process.stderr.read()
            base_url = f"http://127.0.0.1:{first.rsplit(':', 1)[1].strip()}"
            with httpx.Client(base_url=base_url, timeout=10) as http:
                assert http.get(f"{ACCOUNT}/issuers", headers=API).status_code == 200
                assert http.get("/_emulator", headers={"authorization": "Bearer ctl_test"}).status_code == 401
        finally:
            process.terminate()
            process.wait(timeout=20)


# --------------------------------------------------------------------------- deliveries when exposed


class Receiver:
    """A loopback receiver on a real socket: what a webhook aimed at this machine's services would reach."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        )
        self.received.append(await reader.readexactly(length))
        writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


@pytest.mark.parametrize("deliver_locally", [False, True])
async def test_an_exposed_emulator_delivers_to_loopback_only_when_told_to(deliver_locally: bool) -> None:
    receiver = Receiver()
    listening = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/hook"
    emulator = Emulator(api_keys=["key_own:sec_own"], control_key="ctl_own", deliver_locally=deliver_locally)
    try:
        with EmulatorServer(emulator, host="0.0.0.0") as server:
            async with httpx.AsyncClient(base_url=server.base_url, headers=API, timeout=10) as http:
                hook = {"name": "h", "url": url, "auth": {"type": "none"}, "events": ["issuer.created"]}
                assert (await http.post(f"{ACCOUNT}/webhooks", json=hook)).status_code == 201
                assert (await http.post(f"{ACCOUNT}/issuers", json={"name": "Acme"})).status_code == 201
            assert await emulator.settle_deliveries(30)
    finally:
        emulator.close()
        listening.close()
        await listening.wait_closed()
    (delivery,) = emulator.deliveries
    if deliver_locally:
        assert delivery["status"] == "succeeded" and len(receiver.received) == 1
    else:
        assert (delivery["status"], delivery["attempt_count"], receiver.received) == ("failed", 1, [])
        assert "served beyond loopback" in delivery["last_error"]
        assert "deliver_locally=True (serve --deliver-locally)" in delivery["last_error"]


@pytest.mark.parametrize(
    ("url", "resolves_locally", "refused"),
    [
        ("http://10.1.2.3/x", False, True),  # a private address: the host's network
        ("http://169.254.169.254/latest", False, True),  # link-local (a cloud's metadata service)
        ("http://[::1]:8080/x", False, True),
        ("http://intranet.example/x", True, True),  # a name that leads to a local address
        ("https://hooks.example.com/x", False, False),  # the internet: deliver_anywhere allows it
    ],
)
async def test_an_exposed_emulator_refuses_local_destinations_before_connecting(
    url: str, resolves_locally: bool, refused: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from authpi_admin.testing import deliveries

    async def resolves(host: str, port: int) -> bool:
        return resolves_locally

    monkeypatch.setattr(deliveries, "_resolves_locally", resolves)
    deliverer = Deliverer(Emulator().state, deliver_anywhere=True)
    deliverer.exposed = True
    reason = await deliverer._refusal(httpx.URL(url))
    assert (reason is not None) == refused
    if refused:
        assert reason is not None and "no loopback or private address" in reason


# ------------------------------------------------------------------------------------ state that survives


@pytest.mark.parametrize("where", ["missing folder", "a folder"])
def test_serve_checks_at_start_that_it_can_write_its_state(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "no_such_folder" / "state.json" if where == "missing folder" else tmp_path
    assert main(["serve", "--port", "0", "--state", str(state)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write the state file {state}: ") and err.count("\n") == 1


def _wait_for(condition: Any, what: str) -> None:
    """Poll ``condition`` until it holds; the bound is generous (a loaded machine), never a speed check."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def test_a_killed_serve_loses_at_most_one_save_interval(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    process = subprocess.Popen([*CLI, "--state", str(state), "--save-every", "0.2"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = f"http://127.0.0.1:{process.stdout.readline().rsplit(':', 1)[1].strip()}"
        with httpx.Client(base_url=base_url, headers=API, timeout=10) as http:
            made = http.post(f"{ACCOUNT}/issuers", json={"name": "Survives a kill"}).json()["data"]
        _wait_for(lambda: state.exists() and made["id"] in state.read_text(), "the state file holds the issuer")
    finally:
        process.send_signal(signal.SIGKILL)  # no Ctrl-C path: only what was saved meanwhile survives
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()
    restarted = Emulator()
    assert load_state(restarted, state)
    assert restarted.get(f"{ACCOUNT}/issuers/{made['id']}") == {k: v for k, v in made.items() if k != "_etag"}


def test_the_state_keeps_the_clock(tmp_path: Path) -> None:
    frozen, moved = Emulator(), Emulator()
    frozen.clock.freeze(1_800_000_000)
    moved.clock.advance(3600 * 24)
    for emulator, name in ((frozen, "frozen"), (moved, "moved")):
        save_state(emulator, tmp_path / f"{name}.json")
    again_frozen, again_moved = Emulator(), Emulator()
    load_state(again_frozen, tmp_path / "frozen.json")
    load_state(again_moved, tmp_path / "moved.json")
    assert (again_frozen.clock.frozen, again_frozen.clock()) == (True, 1_800_000_000)
    assert again_moved.clock() - time.time() == pytest.approx(3600 * 24, abs=600)
    assert not again_moved.clock.frozen
