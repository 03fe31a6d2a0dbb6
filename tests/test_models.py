"""The generated pydantic models."""

from __future__ import annotations

import subprocess
import sys

import pydantic
import pytest

from authpi_admin.generated import models


def test_models_are_frozen_and_carry_a_private_etag() -> None:
    event = models.Event(spec="1.0", id="evt_1", type="user.created", source="/issuers/iss_1", timestamp=1.5)
    assert event._etag is None
    with pytest.raises(pydantic.ValidationError):
        event.id = "evt_2"  # type: ignore[misc]
    assert "_etag" not in event.model_dump()


def test_required_fields_are_required() -> None:
    with pytest.raises(pydantic.ValidationError):
        models.FieldError(field="email", code="invalid")  # type: ignore[call-arg]


def test_extra_allowed_models_keep_unknown_keys_and_others_drop_them() -> None:
    metadata = models.Metadata.model_validate({"team": "core", "tier": 2})
    assert metadata.model_dump() == {"team": "core", "tier": 2}
    address = models.Address.model_validate({"country": "NL", "planet": "Earth"})
    assert address.model_dump() == {
        "line1": None,
        "line2": None,
        "city": None,
        "state": None,
        "postal_code": None,
        "country": "NL",
    }


def test_nested_models_and_enums_parse() -> None:
    note = models.Note.model_validate(
        {
            "id": "note_1",
            "account_id": "acc_1",
            "issuer_id": "iss_1",
            "subject_type": "user",
            "subject_id": "usr_1",
            "content": "hi",
            "pinned": False,
            "created_by": "usr_2",
            "updated_by": "usr_2",
            "created_at": 1.0,
            "updated_at": 2.0,
            "references": [{"ref_type": "api_key", "ref_id": "key_1", "ref_issuer_id": "iss_1", "created_at": 3.0}],
        }
    )
    assert note.subject_type is models.NoteSubjectType.USER
    assert note.references is not None
    assert note.references[0].ref_type is models.NoteRefType.API_KEY
    assert note.mentions is None


def test_enum_members() -> None:
    assert [m.name for m in models.NoteSubjectType] == ["USER", "ORG", "ISSUER", "CLIENT", "AGENT"]
    assert [m.value for m in models.NoteRefType] == ["user", "org", "issuer", "client", "webhook", "api_key"]
    assert models.NoteRefType("webhook") == "webhook"


def test_webhook_list_item_requires_its_fields() -> None:
    fields = models.WebhookListItem.model_fields
    assert all(field.is_required() for field in fields.values())
    assert list(fields) == [
        "id",
        "account_id",
        "status",
        "name",
        "description",
        "url",
        "auth_type",
        "events",
        "status_at",
        "created_at",
        "updated_at",
    ]


OFF_THE_LOOP = """
import asyncio, sys, threading
from importlib.abc import MetaPathFinder

import httpx

seen = []


class Watch(MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name in ("authpi_admin.generated.models", "pydantic"):
            seen.append((name, threading.current_thread() is threading.main_thread()))
        return None


sys.meta_path.insert(0, Watch())
from authpi_admin import AuthPIAdmin


async def main():
    answer = lambda request: httpx.Response(200, json={"data": [], "has_more": False})
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        async with AuthPIAdmin(account_id="me", api_key="k", http_client=http) as admin:
            await admin.issuers.list()
            assert seen == [], seen  # a call that returns dicts needs no models
            await admin.webhooks.list()


asyncio.run(main())
print(seen)
"""


def test_models_are_imported_off_the_event_loop_on_first_use() -> None:
    result = subprocess.run([sys.executable, "-c", OFF_THE_LOOP], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('authpi_admin.generated.models', False), ('pydantic', False)]"


FIRST_MODEL_CALL = """
import asyncio, sys

import httpx

from authpi_admin import AuthPIAdmin


async def main():
    answer = lambda request: httpx.Response(200, json={"data": [], "has_more": False})
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        async with AuthPIAdmin(account_id="me", api_key="k", http_client=http) as admin:
            await admin.webhooks.list()


asyncio.run(main())
prefix = "authpi_admin.generated.models."
print(sorted(name[len(prefix):] for name in sys.modules if name.startswith(prefix)))
"""


def test_the_first_model_call_builds_only_the_models_it_needs() -> None:
    result = subprocess.run([sys.executable, "-c", FIRST_MODEL_CALL], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['_webhook_list_item']"


def test_every_model_name_is_importable_from_the_package_and_aliases_are_the_same_class() -> None:
    import pickle

    namespace: dict[str, object] = {}
    exec("from authpi_admin.generated.models import *", namespace)
    assert set(models.__all__) <= set(namespace) and set(models.__all__) <= set(dir(models))
    assert models.ApiError is models.ErrorBody
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        models.Nothing  # noqa: B018
    address = models.Address(line1="1 Main St", country="NL")
    assert pickle.loads(pickle.dumps(address)) == address
