"""The emulator's edges: in process without the extra, a reference per error, a readable 413, useful reprs."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from authpi_admin import ApiError, AuthenticationError
from authpi_admin.testing import Emulator, EmulatorServer

IN_PROCESS_WITHOUT_UVICORN = """
import asyncio, sys
sys.modules["uvicorn"] = None  # as if the testing extra were not installed
from authpi_admin.testing import Emulator

async def main():
    async with Emulator().client() as admin:
        created = await admin.issuers.create({"name": "Acme"})
        print((await admin.issuers.get(created["id"]))["name"])
    try:
        from authpi_admin.testing import EmulatorServer
    except ModuleNotFoundError as error:
        print(error)

asyncio.run(main())
"""


def test_the_in_process_emulator_needs_no_uvicorn_and_serving_names_the_extra() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IN_PROCESS_WITHOUT_UVICORN], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.splitlines() == [
        "Acme",
        "Serving the AuthPI emulator needs the testing extra (uvicorn is not installed): "
        'pip install "authpi-admin[testing]"',
    ]


async def test_every_error_answer_has_a_reference_of_its_own() -> None:
    emulator = Emulator()
    async with emulator.client(api_key="key_wrong", retries=False) as stranger:
        references = []
        for _ in range(4):
            with pytest.raises(AuthenticationError) as caught:
                await stranger.issuers.list()
            references.append(caught.value.reference)
    assert len(set(references)) == 4
    assert all(isinstance(reference, str) and reference.startswith("req_") for reference in references)


def test_a_body_over_the_limit_sent_fast_gets_a_413_the_client_reads() -> None:
    big = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    with EmulatorServer() as server:
        auth = {"authorization": "Bearer key_test", "content-type": "application/json"}
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            response = http.post("/v1/accounts/acc_test/issuers", content=big, headers=auth)
            assert response.status_code == 413
            assert response.json()["error"] == "payload_too_large"
            # and the server still answers on a new request
            assert http.get("/v1/accounts/acc_test/issuers", headers=auth).status_code == 200


async def test_the_sdk_reads_the_413_of_a_body_over_the_limit() -> None:
    with EmulatorServer() as server:
        from authpi_admin import AuthPIAdmin

        async with AuthPIAdmin(api_key="key_test", account_id="acc_test", base_url=server.base_url) as admin:
            with pytest.raises(ApiError) as caught:
                await admin.issuers.create({"name": "x" * (10 * 1024 * 1024)})
    assert (caught.value.status_code, caught.value.error) == (413, "payload_too_large")


def test_emulator_and_server_say_what_they_are() -> None:
    emulator = Emulator(account_id="acc_r", strict=True)
    assert repr(emulator) == "<Emulator account_id='acc_r' strict, 0 requests served>"
    server = EmulatorServer(emulator)
    assert repr(server) == f"<EmulatorServer {server.base_url} not serving, {emulator!r}>"
    with server:
        assert repr(server).startswith(f"<EmulatorServer http://127.0.0.1:{server.port} serving, ")
