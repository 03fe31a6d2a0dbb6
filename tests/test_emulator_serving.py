"""The emulator's three ways in: the CLI over a socket, the server class, and the pytest fixtures."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from authpi_admin import AuthPIAdmin, NotFoundError
from authpi_admin.testing import Emulator, EmulatorServer

CLI = [sys.executable, "-m", "authpi_admin.testing", "serve"]


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_cli_serves_any_http_client(host: str) -> None:
    with subprocess.Popen(
        [*CLI, "--host", host, "--port", "0", "--api-key", "key_cli", "--control-key", "ctl_cli"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            check_cli(process, host)
        finally:
            process.terminate()
            process.wait(timeout=10)


def check_cli(process: subprocess.Popen[str], host: str) -> None:
    """The banner names a URL the SDK accepts and the key; the socket listens before the banner is printed."""
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith(f"AuthPI emulator listening on {host}:")
    port = first.rsplit(":", 1)[1].strip()
    base_url = f"http://127.0.0.1:{port}"  # a wildcard host is reached through loopback
    assert process.stdout.readline().strip() == f"base_url: {base_url}"
    assert process.stdout.readline().strip() == "api_key:  key_cli"
    AuthPIAdmin(api_key="key_cli", base_url=base_url)  # the SDK takes the printed URL as it is
    with httpx.Client(base_url=base_url, headers={"authorization": "Bearer key_cli"}, timeout=10) as client:
        created = client.post("/v1/accounts/me/issuers", json={"name": "From curl"})
        assert created.status_code == 201
        listed = client.get("/v1/accounts/me/issuers").json()
        assert [i["name"] for i in listed["data"]] == ["From curl"]
        assert client.get("/v1/accounts/me/issuers", headers={"authorization": "Bearer nope"}).status_code == 401


def test_cli_on_a_busy_port_is_one_line_and_exit_2() -> None:
    with EmulatorServer() as busy:
        result = subprocess.run([*CLI, "--port", str(busy.port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{busy.port}: ")
    assert result.stderr.count("\n") == 1


def test_cli_without_the_extra_is_one_line_naming_it() -> None:
    blocked = (
        "import sys, runpy; sys.modules['uvicorn'] = None; "
        "runpy.run_module('authpi_admin.testing', run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", blocked, "serve"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == (
        "error: Serving the AuthPI emulator needs the testing extra (uvicorn is not installed): "
        'pip install "authpi-admin[testing]"\n'
    )


def test_cli_usage() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "authpi_admin.testing", "--help"], capture_output=True, text=True, check=True
    )
    assert "serve" in result.stdout


async def test_server_in_a_thread_over_ipv4_loopback() -> None:
    emulator = Emulator(api_keys=["key_a"])
    with EmulatorServer(emulator) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        async with AuthPIAdmin(api_key="key_a", base_url=server.base_url) as admin:
            issuer = await admin.issuers.create({"name": "threaded"})
            with pytest.raises(NotFoundError):
                await admin.issuer(issuer["id"]).user("usr_none").get()
        assert emulator.get(f"/v1/accounts/me/issuers/{issuer['id']}") is not None
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(server.base_url)


async def test_fixtures_from_the_plugin(authpi_client: AuthPIAdmin, authpi_emulator: Emulator) -> None:
    issuer = await authpi_client.issuers.create({"name": "fixture"})
    assert authpi_emulator.get(f"/v1/accounts/me/issuers/{issuer['id']}") == {
        k: v for k, v in issuer.items() if k != "_etag"
    }
    assert authpi_emulator.store.count("issuers") == 1


async def test_each_test_gets_a_fresh_emulator(authpi_emulator: Emulator) -> None:
    assert authpi_emulator.store.count("issuers") == 0


async def test_server_fixture(authpi_server: EmulatorServer) -> None:
    async with AuthPIAdmin(api_key="key_test", base_url=authpi_server.base_url) as admin:
        assert (await admin.accounts.list()).data[0]["id"] == "acc_test"


def test_stopping_lets_an_answer_in_flight_finish_and_closes_idle_connections() -> None:
    import threading

    emulator = Emulator()
    emulator.faults.add(latency=0.3, times=1)
    server = EmulatorServer(emulator).start()
    answers: list[int] = []
    with httpx.Client(base_url=server.base_url, headers={"authorization": "Bearer key_test"}) as idle:
        assert idle.get("/v1/me").status_code == 200  # a keep-alive connection, idle during the stop
        with httpx.Client(base_url=server.base_url, headers={"authorization": "Bearer key_test"}) as busy:
            slow = threading.Thread(target=lambda: answers.append(busy.get("/v1/accounts/me/issuers").status_code))
            slow.start()
            while emulator.faults.injected == 0:  # the slow request has reached the emulator
                threading.Event().wait(0.005)
            server.stop()
            slow.join(5)
        assert answers == [200]
        with pytest.raises(httpx.TransportError):  # the idle connection was closed, and nothing listens
            idle.get("/v1/me")
