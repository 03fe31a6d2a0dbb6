"""Everyday mistakes get the answer the README promises, before anything is sent; internals stay private."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import ConfigurationError, InvalidTimeoutError, NetworkError, RequestTimeoutError
from authpi_admin.http_client import HttpClient

from .transport_helpers import SECRET, connect

pytestmark = pytest.mark.usefixtures("wire_path")  # every test on both paths to the wire

IDENTITY = {"type": "api_key", "accounts": [{"account_id": "acc_7", "org_id": "org_1", "scopes": []}]}


async def test_a_required_body_of_none_is_a_type_error_before_sending(httpx_mock: HTTPXMock) -> None:
    async with connect(account_id="acc_1", api_key=SECRET) as admin:
        for call in (
            lambda: admin.issuers.create(None),  # type: ignore[arg-type]
            lambda: admin.issuer("iss_1").users.update("usr_1", None),  # type: ignore[arg-type]
            lambda: admin.issuer("iss_1").organization("org_1").groups.create(None),  # type: ignore[arg-type]
        ):
            with pytest.raises(TypeError, match=r"^body must be a dict \(a JSON object\), not NoneType$"):
                await call()
    assert httpx_mock.get_requests() == []


async def test_an_optional_body_may_still_be_left_out(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"id": "sess_1"}})
    async with connect(account_id="acc_1", api_key=SECRET) as admin:
        await admin.issuer("iss_1").user("usr_1").sessions.revoke("sess_1")
    request = httpx_mock.get_request()
    assert request is not None and request.content == b"" and "content-type" not in request.headers


SHOWN_TIMEOUTS = {
    "0": "0",
    "-1": "-1",
    "nan": "nan",
    "'5'": "'5' (str)",
    "True": "True (bool)",
    "Timeout(connect=5.0, read=-1, write=5.0, pool=5.0)": "an httpx.Timeout with read=-1",
}


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "5", True, httpx.Timeout(5.0, read=-1)])
async def test_a_bad_timeout_is_one_class_for_a_client_and_for_a_call(httpx_mock: HTTPXMock, bad: object) -> None:
    with pytest.raises(InvalidTimeoutError) as for_client:
        connect(account_id="acc_1", api_key=SECRET, timeout=bad)
    async with connect(account_id="acc_1", api_key=SECRET) as admin:
        with pytest.raises(InvalidTimeoutError) as for_call:
            await admin.issuers.get("iss_1", timeout=bad)  # type: ignore[arg-type]
    assert type(for_client.value) is type(for_call.value) is InvalidTimeoutError
    assert isinstance(for_call.value, ConfigurationError) and isinstance(for_call.value, ValueError)
    assert str(for_call.value) == str(for_client.value)
    # the message shows what it got
    expected = "timeout must be a positive number of seconds (or an httpx.Timeout of such numbers), not "
    assert str(for_call.value).startswith(expected + SHOWN_TIMEOUTS[repr(bad)])
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    "base_url", ["https://api.authpi.dev/v1", "https://api.authpi.dev/v1/", "https://gw.example/authpi/v1"]
)
def test_a_base_url_ending_in_v1_is_refused_saying_why(base_url: str) -> None:
    origin = base_url.rstrip("/").removesuffix("/v1")
    with pytest.raises(ConfigurationError) as refused:
        connect(api_key=SECRET, base_url=base_url)
    assert str(refused.value) == (
        f"base_url must not end in /v1: the SDK adds /v1 to every path, so {base_url!r} would send /v1/v1/... "
        f"and every call would answer 404. Pass base_url={origin!r}"
    )


async def test_a_call_timeout_may_be_an_httpx_timeout(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"id": "iss_1"}})
    async with connect(account_id="acc_1", api_key=SECRET) as admin:
        assert await admin.issuers.get("iss_1", timeout=httpx.Timeout(3.0, connect=1.0)) == {"id": "iss_1"}
    request = httpx_mock.get_request()
    assert request is not None
    assert request.extensions["timeout"] == {"connect": 1.0, "read": 3.0, "write": 3.0, "pool": 3.0}


@pytest.mark.parametrize(
    ("failure", "raised", "text"),
    [
        (httpx.ConnectError("refused"), NetworkError, "The request failed on the network (ConnectError; GET {host})"),
        (httpx.ReadTimeout("slow"), RequestTimeoutError, "The request timed out (ReadTimeout; GET {host})"),
    ],
)
@pytest.mark.parametrize(
    ("base_url", "host"),
    [("https://api.authpi.dev", "api.authpi.dev"), ("https://user:pw@api.example.test:8443/", "api.example.test:8443")],
)
async def test_a_network_error_names_the_method_and_host_never_a_credential(
    httpx_mock: HTTPXMock, failure: Exception, raised: type[Exception], text: str, base_url: str, host: str
) -> None:
    httpx_mock.add_exception(failure)
    async with connect(account_id="acc_1", api_key=SECRET, base_url=base_url, retries=False) as admin:
        with pytest.raises(raised) as caught:
            await admin.issuer("iss_secret_path").users.get("usr_1")
    message = str(caught.value)
    assert message.startswith(text.format(host=host))
    assert SECRET not in message and "pw" not in message and "iss_secret_path" not in message


# ----------------------------------------------------------------------------------- no internals in public


def test_the_transport_shows_no_slot_machinery() -> None:
    public = {name for name in dir(HttpClient) if not name.startswith("_")}
    assert public == {"base_url", "is_closed", "request", "whoami", "close", "with_options"}


async def test_the_account_placeholder_never_shows_and_the_found_account_does(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="https://api.authpi.dev/v1/me", json={"data": IDENTITY})
    httpx_mock.add_response(json={"data": [], "has_more": False})
    async with connect(api_key=("key_1", "sec_1")) as admin:
        issuers = admin.issuers
        before = [repr(admin), repr(issuers), issuers.base_path, admin.issuer("iss_1").users.base_path]
        assert before == [
            "AuthPIAdmin(base_url='https://api.authpi.dev', account=<found through /v1/me on first use>)",
            "IssuersResource('/v1/accounts/{account_id}/issuers')",
            "/v1/accounts/{account_id}/issuers",
            "/v1/accounts/{account_id}/issuers/iss_1/users",
        ]
        assert admin.acting_account_id is None and admin.account_id is None
        await issuers.list()
        after = [repr(admin), repr(issuers), issuers.base_path]
        assert after == [
            "AuthPIAdmin(base_url='https://api.authpi.dev', account='acc_7')",
            "IssuersResource('/v1/accounts/acc_7/issuers')",
            "/v1/accounts/acc_7/issuers",
        ]
        assert admin.acting_account_id == "acc_7" and admin.account_id is None  # account_id: as given
    assert all("\x00" not in text for text in before + after)


def test_a_given_account_is_the_acting_one() -> None:
    admin = connect(api_key=SECRET, account_id="acc_given")
    assert admin.acting_account_id == admin.account_id == "acc_given"
    assert repr(admin) == "AuthPIAdmin(base_url='https://api.authpi.dev', account='acc_given')"


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_serve_with_a_port_out_of_range_is_a_one_line_error(port: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "authpi_admin.testing", "serve", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: --port must be from 0 to 65535 (0 picks a free one), not {port}\n"
