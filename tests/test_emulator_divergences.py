"""Lenient mode reports what today's API would refuse: in process, served (a header), and in pytest."""

from __future__ import annotations

import httpx
import pytest

from authpi_admin.testing import Divergence, Emulator, EmulatorServer

pytest_plugins = ["pytester"]

BEARER = "an API key sent as a bearer token (today's API takes a key pair as HTTP Basic)"
ALIAS = "the account alias 'me' in the path (today's API has none)"


async def test_each_accepted_request_strict_mode_would_refuse_is_recorded_with_its_reasons() -> None:
    emulator = Emulator()
    async with emulator.client(api_key="key_test", account_id="me") as old:  # 0.3.0's bearer key and 'me'
        issuer = await old.issuers.create({"name": "Acme"})
        await old.issuer(issuer["id"]).users.create({"email": "a@example.com"})
        await old.issuer(issuer["id"]).groups.list()  # an issuer-level route today's API removed
        await old.accounts.count_notes("me")
    async with emulator.client(account_id="acc_test") as today:  # the key pair, the account's id
        await today.issuers.list()
    assert emulator.divergences[0] == Divergence("POST", "/v1/accounts/me/issuers", (BEARER, ALIAS))
    assert emulator.divergences[1].reasons == (
        BEARER,
        ALIAS,
        "a body without today's required fields: username_type, username",
    )
    assert "an issuer-level groups, invitations, members or domains route (today's API answers 404)" in (
        emulator.divergences[2].reasons
    )
    assert emulator.divergences[3].reasons[-1] == "a query without today's required keys: subject_type, subject_id"
    assert len(emulator.divergences) == 4  # today's call diverges from nothing


async def test_a_strict_emulator_records_none_it_refuses_them() -> None:
    emulator = Emulator(strict=True, api_keys=["key_test", "key_test:sec_test"])
    async with emulator.client(api_key="key_test", retries=False) as old:
        with pytest.raises(Exception):  # noqa: B017 - the 401 is tested elsewhere
            await old.issuers.list()
    assert emulator.divergences == []


def test_a_served_answer_says_why_in_a_header() -> None:
    with EmulatorServer() as server, httpx.Client(base_url=server.base_url) as http:
        diverged = http.get("/v1/accounts/me/issuers", headers={"authorization": "Bearer key_test"})
        fine = http.get("/v1/accounts/acc_test/issuers", auth=("key_test", "sec_test"))
    assert diverged.status_code == 200
    assert diverged.headers["authpi-emulator-divergence"] == f"{BEARER}; {ALIAS}"
    assert "authpi-emulator-divergence" not in fine.headers
    assert [d.path for d in server.emulator.divergences] == ["/v1/accounts/me/issuers"]


OLD_CODE = """
async def test_old(authpi_client):
    from authpi_admin import AuthPIAdmin
    await authpi_client.issuers.list()

async def test_old_again(authpi_emulator):
    async with authpi_emulator.client(api_key="key_test", account_id="me") as admin:
        await admin.issuers.list()

async def test_today(authpi_client):
    await authpi_client.issuers.list()
"""


def test_the_plugin_sums_them_up_by_reason_naming_the_tests(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(test_user=OLD_CODE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*AuthPI emulator: requests today's API would refuse*",
            f"{BEARER}: 1 request(s), from 1 test(s)",
            "    test_user.py::test_old_again",
            f"{ALIAS}: 1 request(s), from 1 test(s)",
            "    test_user.py::test_old_again",
        ]
    )


def test_an_ini_option_makes_them_failures(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\nauthpi_divergences = fail\n")
    pytester.makepyfile(test_user=OLD_CODE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rf")
    result.assert_outcomes(passed=2, failed=1)  # a failure of the test that sent it, not a teardown error
    result.stdout.fnmatch_lines(["FAILED test_user.py::test_old_again - Failed: the AuthPI emulator*"])


SERVED_CODE = """
from authpi_admin import AuthPIAdmin

async def test_served_old(authpi_server):
    async with AuthPIAdmin(api_key="key_test", account_id="me", base_url=authpi_server.base_url) as admin:
        await admin.issuers.list()

async def test_served_today(authpi_server):
    async with AuthPIAdmin(api_key=("key_test", "sec_test"), base_url=authpi_server.base_url) as admin:
        await admin.issuers.list()
"""


@pytest.mark.parametrize("mode", ["report", "fail"])
def test_divergences_through_the_served_fixture_belong_to_the_test_that_made_them(
    pytester: pytest.Pytester, mode: str
) -> None:
    pytester.makeini(f"[pytest]\nasyncio_mode = auto\nauthpi_divergences = {mode}\n")
    pytester.makepyfile(test_served=SERVED_CODE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rf")
    if mode == "fail":
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(["FAILED test_served.py::test_served_old - Failed: the AuthPI emulator*"])
    else:
        result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"{BEARER}: 1 request(s), from 1 test(s)", "    test_served.py::test_served_old"])
    assert "    authpi_server" not in result.stdout.lines
