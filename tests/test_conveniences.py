"""Typed payloads, write retries that are safe, and the conveniences: with_options, Page, AUTHPI_LOG."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import AuthPIAdmin, Page, ServiceUnavailableError
from authpi_admin.testing import Emulator, EmulatorServer

from .conftest import Waits

TYPING = Path(__file__).parent / "typing"
ACCT = "https://api.authpi.dev/v1/accounts/me"


# --------------------------------------------------------------------------------------------- typed payloads


def test_annotated_payloads_are_checked_by_mypy(tmp_path: Path) -> None:
    # one mypy run over the programs (each run costs seconds); its errors say which file they are in
    programs = [
        str(TYPING / name) for name in ("payload_ok.py", "payload_misspelt.py", "observed_ok.py", "typed_view_ok.py")
    ]
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), *programs]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1 and errors, result.stdout
    assert {Path(line.split(":", 1)[0]).name for line in errors} == {"payload_misspelt.py"}  # the other passes
    assert any('Extra key "nmae" for TypedDict "IssuerCreate"' in line for line in errors), result.stdout
    misspelt_enum = 'expression has type "Literal[\'emali\']", TypedDict item "username_type" has type'
    assert any(misspelt_enum in line for line in errors), result.stdout


async def test_a_pydantic_model_is_sent_as_its_json_form(httpx_mock: HTTPXMock) -> None:
    class Issuer(pydantic.BaseModel):
        name: str
        description: str | None = None

    httpx_mock.add_response(status_code=201, json={"data": {"id": "i_1"}})
    async with AuthPIAdmin(account_id="me", api_key="key_1") as admin:
        await admin.issuers.create(Issuer(name="Acme"))
    request = httpx_mock.get_request()
    assert request is not None and request.content == b'{"name": "Acme"}'  # fields set only


# -------------------------------------------------------------------------------------- safe write retries


async def test_a_write_with_an_idempotency_key_is_retried_like_a_read(httpx_mock: HTTPXMock, waits: Waits) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_exception(httpx.ReadError("reset"))
    httpx_mock.add_response(status_code=201, json={"data": {"id": "i_1"}})
    async with AuthPIAdmin(account_id="me", api_key="key_1", retries=waits.policy()) as admin:
        assert (await admin.issuers.create({"name": "A"}, idempotency_key="k1"))["id"] == "i_1"
    keys = [r.headers["idempotency-key"] for r in httpx_mock.get_requests()]
    assert keys == ["k1", "k1", "k1"] and waits == [1.0, 2.0]


async def test_a_write_without_a_key_is_still_sent_once(httpx_mock: HTTPXMock, waits: Waits) -> None:
    httpx_mock.add_response(status_code=503)
    async with AuthPIAdmin(account_id="me", api_key="key_1", retries=waits.policy()) as admin:
        with pytest.raises(ServiceUnavailableError):
            await admin.issuers.create({"name": "A"})
    assert len(httpx_mock.get_requests()) == 1 and waits == []


async def test_idempotency_keys_true_gives_each_write_one_key_for_all_its_attempts(
    httpx_mock: HTTPXMock, waits: Waits
) -> None:
    httpx_mock.add_response(status_code=502)
    httpx_mock.add_response(status_code=201, json={"data": {"id": "i_1"}})
    httpx_mock.add_response(status_code=201, json={"data": {"id": "i_2"}})
    httpx_mock.add_response(json={"data": [], "has_more": False})
    async with AuthPIAdmin(account_id="me", api_key="key_1", retries=waits.policy(), idempotency_keys=True) as admin:
        await admin.issuers.create({"name": "A"})
        await admin.issuers.create({"name": "B"})
        await admin.issuers.list()
    first, retry, second, read = httpx_mock.get_requests()
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert second.headers["idempotency-key"] != first.headers["idempotency-key"]
    assert "idempotency-key" not in read.headers


async def test_a_write_whose_answer_is_lost_is_applied_exactly_once_over_a_socket() -> None:
    emulator = Emulator()
    with EmulatorServer(emulator) as server:
        emulator.seed("/v1/accounts/me/issuers", {"id": "i_1", "name": "Acme"})
        # the first create is applied, then its connection is cut before the answer
        emulator.faults.add(route="POST /v1/accounts/{account_id}/issuers/{issuer_id}/users", lose_answer=True, times=1)
        async with AuthPIAdmin(
            api_key="key_test", base_url=server.base_url, idempotency_keys=True, retries={"delay": 0.01}
        ) as admin:
            user = await admin.issuer("i_1").users.create({"email": "once@example.com"})
    stored = [u for u in emulator.store.table("users", "acc_test").values() if u.data["email"] == "once@example.com"]
    assert [u.key for u in stored] == [user["id"]]
    assert [w.method for w in emulator.writes] == ["POST"]  # the retry was replayed, not applied again


# -------------------------------------------------------------------------------------------- with_options


async def test_with_options_shares_the_pool_and_credential_and_changes_only_what_it_names(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(json={"data": [], "has_more": False}, is_reusable=True)
    async with AuthPIAdmin(account_id="me", api_key="key_1", default_headers={"X-Team": "a"}) as admin:
        patient = admin.with_options(timeout=120, retries=False, headers={"X-Job": "nightly"})
        assert patient.http._http is admin.http._http and patient.http._token is admin.http._token
        await patient.issuers.list()
        await patient.close()  # leaves the shared connections open
        await admin.issuers.list()
    sibling, original = httpx_mock.get_requests()
    assert sibling.extensions["timeout"]["read"] == 120 and original.extensions["timeout"]["read"] == 30.0
    assert (sibling.headers["x-team"], sibling.headers["x-job"]) == ("a", "nightly")
    assert "x-job" not in original.headers
    assert patient.http._retry is None and admin.http._retry is not None


# ----------------------------------------------------------------------------------------------------- Page


async def test_a_page_iterates_and_fetches_the_next_with_the_same_filters(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{ACCT}/issuers/i_1/users?limit=2&status=active", json=_page(["a", "b"], "c2"))
    httpx_mock.add_response(url=f"{ACCT}/issuers/i_1/users?limit=2&cursor=c2&status=active", json=_page(["c"], None))
    async with AuthPIAdmin(account_id="me", api_key="key_1") as admin:
        page = await admin.issuer("i_1").users.list(limit=2, status="active")
        assert [user["id"] for user in page] == ["a", "b"] and len(page) == 2
        following = await page.next_page()
        assert following is not None and [user["id"] for user in following] == ["c"]
        assert await following.next_page() is None
    assert page == Page(data=[{"id": "a"}, {"id": "b"}], has_more=True, next_cursor="c2")  # 0.3.0's equality


async def test_a_page_built_by_hand_cannot_fetch_more() -> None:
    with pytest.raises(RuntimeError, match="not returned by a list call"):
        await Page(data=[], has_more=True, next_cursor="x").next_page()


def _page(ids: list[str], cursor: str | None) -> dict[str, Any]:
    return {"data": [{"id": i} for i in ids], "has_more": cursor is not None, "next_cursor": cursor}


# ------------------------------------------------------------------------------------------------ AUTHPI_LOG


@pytest.mark.parametrize(("value", "level"), [("debug", 10), ("INFO", 20), ("", 0), ("loud", 0)])
def test_authpi_log_turns_the_logger_on_with_a_handler(value: str, level: int) -> None:
    code = (
        "import json, logging, authpi_admin; log = logging.getLogger('authpi_admin'); "
        "print(json.dumps([log.level, len(log.handlers)]))"
    )
    env = {"AUTHPI_LOG": value, "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [level, 1 if level else 0]


def test_every_generated_method_documents_its_parameters_what_it_returns_and_its_errors() -> None:
    import importlib
    import inspect

    from .openapi_walk import DOCUMENT

    checked = 0
    for class_name in DOCUMENT.class_descriptions:
        package = "scopes" if class_name.endswith("Scope") else "resources"
        module = class_name.removesuffix("Resource")
        module = "".join(f"_{c.lower()}" if c.isupper() else c for c in module).lstrip("_")
        cls = getattr(importlib.import_module(f"authpi_admin.generated.{package}.{module}"), class_name)
        for name, function in vars(cls).items():
            if name.startswith("_") or (
                not inspect.iscoroutinefunction(function) and not inspect.isasyncgenfunction(function)
            ):
                continue
            doc = inspect.getdoc(function) or ""
            assert "Args:" in doc and "Raises:" in doc and ("Returns:" in doc or "Yields:" in doc), (class_name, name)
            for parameter in list(inspect.signature(function).parameters)[1:]:
                assert f"{parameter}: " in doc, (class_name, name, parameter)
            checked += 1
    assert checked >= 170
