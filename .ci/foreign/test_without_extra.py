"""A user's project that installed authpi-admin without the testing extra."""

import subprocess
import sys

import httpx
import pytest

from authpi_admin import AuthPIAdmin, NotFoundError

HINT = 'pip install "authpi-admin[testing]"'


def test_without_the_otel_extra_nothing_is_traced_and_a_provider_names_the_extra() -> None:
    from authpi_admin import ConfigurationError

    with pytest.raises(ImportError):
        import opentelemetry  # noqa: F401
    with pytest.raises(ConfigurationError, match=r'pip install "authpi-admin\[otel\]"'):
        AuthPIAdmin(api_key=("k", "s"), tracer_provider=object())


async def test_the_sdk_works_over_an_injected_transport() -> None:
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/me":
            accounts = [{"account_id": "acc_1", "org_id": "org_1", "scopes": ["*:**"]}]
            return httpx.Response(200, json={"data": {"type": "api_key", "accounts": accounts, "organizations": []}})
        if request.url.path.endswith("/missing"):
            return httpx.Response(404, json={"error": "not_found", "error_description": "No such user"})
        return httpx.Response(200, json={"data": [{"id": "iss_1"}], "has_more": False})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with http, AuthPIAdmin(api_key=("key_1", "sec_1"), http_client=http) as admin:
        page = await admin.issuers.list(limit=5)
        with pytest.raises(NotFoundError, match=r"^No such user \[HTTP 404; not_found\]$"):
            await admin.issuer("iss_1").users.get("missing")
    assert page.data == [{"id": "iss_1"}]
    assert [str(r.url) for r in seen[:2]] == [
        "https://api.authpi.dev/v1/me",
        "https://api.authpi.dev/v1/accounts/acc_1/issuers?limit=5",
    ]
    assert seen[1].headers["authorization"] == "Basic a2V5XzE6c2VjXzE="


async def test_the_emulator_works_in_process_without_the_extra() -> None:
    from authpi_admin.testing import Emulator

    async with Emulator().client() as admin:
        created = await admin.issuers.create({"name": "Acme"})
        assert (await admin.issuers.get(created["id"]))["name"] == "Acme"


async def test_the_client_fixture_works_without_the_extra(authpi_client) -> None:
    assert (await authpi_client.issuers.list()).data == []


def test_serving_names_the_extra() -> None:
    import authpi_admin.testing as testing

    with pytest.raises(ModuleNotFoundError, match=r'pip install "authpi-admin\[testing\]"'):
        testing.EmulatorServer  # noqa: B018 - the attribute access is what loads the server


def test_the_cli_says_what_to_install_in_one_line() -> None:
    result = subprocess.run([sys.executable, "-m", "authpi_admin.testing", "serve"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and HINT in result.stderr
