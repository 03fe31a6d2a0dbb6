"""Strict testing works out of the box: a key pair by default, tuples accepted, strict fixtures, hints."""

from __future__ import annotations

import subprocess
import sys

import pytest

from authpi_admin import AuthenticationError, AuthPIAdmin
from authpi_admin.testing import DEFAULT_KEY_PAIR, Emulator, EmulatorServer

pytest_plugins = ["pytester"]


async def test_a_strict_emulators_own_client_works_on_its_first_call() -> None:
    async with Emulator(strict=True).client() as admin:
        issuer = await admin.issuers.create({"name": "Acme"})
        user = await admin.issuer(issuer["id"]).users.create(
            {"username_type": "email", "username": "a@example.com", "profile": {}}
        )
    assert user["username"] == "a@example.com"
    assert DEFAULT_KEY_PAIR == "key_test:sec_test"


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
async def test_a_client_takes_a_key_pair_as_a_tuple(strict: bool) -> None:
    emulator = Emulator(strict=strict, api_keys=["key_k:sec_s"])
    async with emulator.client(api_key=("key_k", "sec_s")) as admin:
        assert (await admin.issuers.list()).data == []
    async with emulator.client(api_key=("key_k", "wrong"), retries=False) as stranger:
        with pytest.raises(AuthenticationError):
            await stranger.issuers.list()


async def test_a_pair_sent_as_a_bearer_string_is_told_to_be_a_tuple() -> None:
    with EmulatorServer(Emulator(strict=True)) as server:
        async with AuthPIAdmin(api_key="key_test:sec_test", base_url=server.base_url, retries=False) as pasted:
            with pytest.raises(AuthenticationError) as caught:
                await pasted.issuers.list()
    assert caught.value.error_description.startswith("Missing or invalid credentials: this looks like an API key pair")
    assert 'api_key=("key_id", "secret")' in caught.value.error_description


def test_serve_prints_a_line_a_user_can_paste() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "authpi_admin.testing", "serve", "--port", "0", "--api-key", "key_a:sec_a"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
    finally:
        process.terminate()
        process.communicate(timeout=30)
    base_url = lines[1].split("base_url:", 1)[1].strip()
    assert lines[3].strip() == f'AuthPIAdmin(api_key=("key_a", "sec_a"), base_url="{base_url}")'


STRICT_AND_LENIENT = """
import pytest

async def test_by_default(authpi_client):
    await authpi_client.issuers.create({"name": "Acme"})
    issuers = (await authpi_client.issuers.list()).data
    user = await authpi_client.issuer(issuers[0]["id"]).users.create({"email": "old@example.com"})
    assert user["username"] == "old@example.com"

@pytest.mark.authpi(strict=False)
async def test_lenient_by_marker(authpi_client):
    issuer = await authpi_client.issuers.create({"name": "Acme"})
    await authpi_client.issuer(issuer["id"]).users.create({"email": "old@example.com"})

@pytest.mark.authpi(strict=True)
async def test_strict_by_marker(authpi_client, authpi_emulator):
    from authpi_admin import ValidationError
    assert authpi_emulator.state.strict
    issuer = await authpi_client.issuers.create({"name": "Acme"})
    with pytest.raises(ValidationError):
        await authpi_client.issuer(issuer["id"]).users.create({"email": "old@example.com"})
"""


@pytest.mark.parametrize(("ini", "outcomes"), [("false", {"passed": 3}), ("true", {"passed": 2, "failed": 1})])
def test_the_fixtures_take_strict_mode_from_the_ini_and_a_marker(
    pytester: pytest.Pytester, ini: str, outcomes: dict[str, int]
) -> None:
    pytester.makeini(f"[pytest]\nasyncio_mode = auto\nauthpi_strict = {ini}\n")
    pytester.makepyfile(test_user=STRICT_AND_LENIENT)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(**outcomes)  # strict by ini: the default test's 0.3.0 body is refused


async def test_faults_cost_no_real_time_and_the_waits_are_recorded() -> None:
    emulator = Emulator()
    emulator.faults.add(status=503, times=2)
    async with emulator.client() as admin:
        assert (await admin.issuers.list()).data == []
    first, second = emulator.retry_waits
    assert 0.75 <= first <= 1.0 and 1.5 <= second <= 2.0  # the backoff, jittered down by up to a quarter


async def test_real_time_is_there_when_a_test_asks_for_it() -> None:
    from authpi_admin.retries import RetryConfig, RetryPolicy

    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    emulator = Emulator()
    emulator.faults.add(status=503, times=1)
    async with emulator.client(retries=RetryPolicy(RetryConfig(delay=0.01), sleep=sleep)) as admin:
        await admin.issuers.list()
    assert len(waited) == 1 and emulator.retry_waits == []  # the caller's own policy is used as it is
    async with emulator.client(real_time=True) as patient:
        policy = patient.http._retry
        assert policy is not None and policy.sleep != emulator._retry_wait  # asyncio's own sleep


async def test_a_plain_string_key_against_strict_mode_hears_which_form_today_takes() -> None:
    emulator = Emulator(strict=True)
    async with emulator.client(api_key="key_test") as admin:  # 0.3.0's form: the key id alone, as a bearer
        with pytest.raises(AuthenticationError) as refused:
            await admin.issuers.list()
    assert refused.value.error_description == (
        "Missing or invalid credentials: today's API takes an API key as its key id and secret, sent as HTTP "
        "Basic; a string api_key is sent as a bearer token, which only access tokens are. "
        'Pass AuthPIAdmin(api_key=("key_id", "secret"))'
    )
    async with emulator.client(access_token="tok_unknown", account_id="acc_test") as admin:
        with pytest.raises(AuthenticationError, match=r"^Missing or invalid credentials \[HTTP 401"):
            await admin.issuers.list()  # a token the emulator never issued: nothing to hint at
    emulator.close()
