"""``admin.typed``: every operation of the document again, each answering the model the document names.

The walk calls every operation through the typed view against a strict emulator (today's API) and checks
the model it answers; the rest pins the details: malformed answers, ``with_options``, raw responses, and
what mypy and pyright see.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import AuthPIAdmin, MalformedResponseError, NotFoundError, Page, ValidationError
from authpi_admin._openapi import Operation
from authpi_admin.generated import models
from authpi_admin.generated.typed import TypedAccountRoot, TypedUsersResource
from authpi_admin.testing import Emulator

from .emulator_world import IDS, build_world, call_arguments, meet_preconditions
from .openapi_walk import DOCUMENT, operations, reach

OPERATIONS = operations()
# 0.3.0 methods that send no subject, where today's API requires one (the README's differences say so):
# through the typed view as through the plain one, today's API refuses them.
REFUSED_TODAY = {("AccountsResource", "backlinks_notes"), ("AccountsResource", "count_notes")}
TYPING = Path(__file__).parent / "typing"


def strict_ids(name: str) -> str:
    """The world's ids, the account named by its id (a strict emulator knows no ``me``)."""
    return "acc_test" if name == "account_id" else IDS[name]


def test_the_document_names_a_model_for_every_answer_it_does_not_leave_a_dict() -> None:
    plain = {op.id for op in OPERATIONS if DOCUMENT.success(op.spec)[1].get("x-answer-dict")}
    unnamed = {op.id for op in OPERATIONS if DOCUMENT.answer_of(op).kind == "object"}
    assert unnamed == plain and len(plain) == 7


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
async def test_every_operation_answers_its_model_through_the_typed_view(op: Operation) -> None:
    emulator = build_world(Emulator(strict=True))
    meet_preconditions(emulator, op.verb, op.path)
    answer = DOCUMENT.answer_of(op)
    args = [
        emulator.account_id if value == "me" else value for value in call_arguments(op, today=True)
    ]  # strict: no alias
    async with emulator.client() as admin:
        if op.mount.deprecated:  # the issuer-level groups, members, invitations and domains: gone today
            with pytest.warns(DeprecationWarning, match="the live API answers 404"), pytest.raises(NotFoundError):
                await getattr(reach(op.mount, admin.typed, strict_ids), op.method)(*args)
            return
        target = reach(op.mount, admin.typed, strict_ids)
        assert type(target).__name__ == f"Typed{op.mount.class_name}"
        if (op.class_name, op.method) in REFUSED_TODAY:
            with pytest.raises(ValidationError, match="is required"):
                await getattr(target, op.method)(*args)
            return
        result = await getattr(target, op.method)(*args)
    model = getattr(models, str(answer.model)) if answer.model else None
    if answer.kind == "none":
        assert result is None
    elif answer.kind == "model":
        assert type(result) is model
        assert result._etag is None or result._etag.startswith('"')
    elif answer.kind == "model_page":
        assert isinstance(result, Page) and result.data, f"{op.id} listed nothing"
        assert all(type(item) is model for item in result.data)
    elif answer.kind == "model_list":
        assert isinstance(result, list) and result and all(type(item) is model for item in result)
    else:  # the few answers the document leaves a plain dict
        assert answer.kind == "object" and isinstance(result, dict)


async def test_list_all_yields_models_from_every_page() -> None:
    emulator = build_world(Emulator(strict=True))
    async with emulator.client() as admin:
        users = admin.typed.issuer(IDS["issuer_id"]).users
        every = [user async for user in users.list_all(limit=1)]
    assert len(every) >= 2 and all(type(user) is models.IssuerUsersListItem for user in every)
    assert len({user.user_id for user in every}) == len(every)


async def test_an_answer_that_does_not_fit_its_model_says_where_and_why(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"id": 7, "name": "Acme"}})
    async with AuthPIAdmin(api_key=("k", "s"), account_id="acc_1") as admin:
        with pytest.raises(MalformedResponseError) as caught:
            await admin.typed.issuers.get("iss_1")
    assert caught.value.error_description == "The API answered with an object that is not a valid Issuer"
    assert "id: Input should be a valid string" in str(caught.value.raw_body)


async def test_the_typed_view_shares_the_client_and_its_options(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [], "has_more": False})
    async with AuthPIAdmin(api_key=("k", "s"), account_id="acc_1") as admin:
        assert admin.typed is admin.typed
        assert isinstance(admin.typed, TypedAccountRoot)
        assert repr(admin.typed) == "TypedAccountRoot('/v1/accounts/acc_1')"
        sibling = admin.with_options(headers={"x-team": "billing"}, timeout=7)
        users = sibling.typed.issuer("iss_1").users
        assert isinstance(users, TypedUsersResource) and users.base_path == "/v1/accounts/acc_1/issuers/iss_1/users"
        page = await users.list(limit=2)
    assert page == Page(data=[], has_more=False)
    request = httpx_mock.get_request()
    assert request is not None
    assert (request.url.path, request.url.query) == ("/v1/accounts/acc_1/issuers/iss_1/users", b"limit=2")
    assert request.headers["x-team"] == "billing" and request.extensions["timeout"]["read"] == 7


async def test_the_typed_views_raw_responses_parse_to_models() -> None:
    emulator = build_world(Emulator(strict=True))
    async with emulator.client() as admin:
        raw = await admin.typed.issuer(IDS["issuer_id"]).users.with_raw_response.get(IDS["user_id"])
        plain = await admin.issuer(IDS["issuer_id"]).users.get(IDS["user_id"])
    user = raw.parse()
    assert type(user) is models.User and user.id == plain["id"] and user._etag == raw.headers["etag"]


def test_pyright_sees_the_models_mypy_sees() -> None:
    """pyright, as a user of it would run it, over the typing programs (mypy runs in test_conveniences)."""
    programs = [str(TYPING / name) for name in ("typed_view_ok.py", "observed_ok.py", "payload_ok.py")]
    command = [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, *programs]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 errors" in result.stdout


async def test_a_boolean_filter_takes_a_bool_and_still_0_3_0s_string() -> None:
    emulator = build_world(Emulator(strict=True))
    async with emulator.client() as admin:
        organizations = admin.issuer(IDS["issuer_id"]).organizations
        await organizations.create({"name": "No SSO", "sso_enabled": False})
        with_sso = await organizations.list(sso_enabled=True)
        as_text = await organizations.list(sso_enabled="true")
        without = await admin.typed.issuer(IDS["issuer_id"]).organizations.list(sso_enabled=False)
    assert [o["name"] for o in with_sso.data] == [o["name"] for o in as_text.data] == ["Org"]
    assert [o.name for o in without.data] == ["No SSO"]
    queries = [r.query for r in emulator.requests if r.path.endswith("/organizations") and r.method == "GET"]
    assert queries == ["sso_enabled=true", "sso_enabled=true", "sso_enabled=false"]
