"""Every operation of the document, called through the SDK against the emulator, succeeds with its shape."""

from __future__ import annotations

import pytest

from authpi_admin import MalformedResponseError, Page
from authpi_admin._openapi import Operation
from authpi_admin.generated import models

from .emulator_world import IDS, build_world, call_arguments, meet_preconditions
from .openapi_walk import DOCUMENT, operations, reach

OPERATIONS = operations()

# 0.3.0 methods whose declared answer today's API does not give (it reads a list of notes as one Note):
# typed as a malformed answer, never a crash.
CANNOT_READ_TODAYS_ANSWER = {("AccountsResource", "backlinks_notes")}

# Operations sent as POST that change nothing.
READS_OVER_POST = {("IssuerTokensResource", "introspect")}


def _plain_dict_fields(op: Operation) -> list[str] | None:
    """The fields the document names for an answer today's SDK types as a plain dict, else None."""
    _, response = DOCUMENT.success(op.spec)
    if not response.get("x-answer-dict"):
        return None
    return list(response["content"]["application/json"]["schema"]["properties"]["data"].get("required", []))


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
async def test_operation_is_served(op: Operation) -> None:
    emulator = build_world()
    meet_preconditions(emulator, op.verb, op.path)
    args = call_arguments(op)

    async with emulator.client() as admin:
        target = reach(op.mount, admin, lambda name: IDS[name])
        if (op.class_name, op.method) in CANNOT_READ_TODAYS_ANSWER:
            with pytest.raises(MalformedResponseError):
                await getattr(target, op.method)(*args)
            return
        result = await getattr(target, op.method)(*args)
        kind = op.returns.kind
        if kind == "none":
            assert result is None
        elif kind in ("page", "model_page"):
            assert isinstance(result, Page)
            assert result.data, f"{op.id} listed nothing"
            if kind == "model_page":
                assert type(result.data[0]).__name__ == op.returns.model
        elif kind == "model":
            assert isinstance(result, getattr(models, str(op.returns.model)))
        elif isinstance(result, list):  # an answer the API gives as a list (notes.backlinks)
            assert op.returns.kind == "any"
            assert result, f"{op.id} listed nothing"
        elif _plain_dict_fields(op) is not None:  # an answer today's SDK types as a plain dict
            assert set(_plain_dict_fields(op) or ()) <= set(result)
        else:
            assert isinstance(result, dict)
            if op.method in ("get", "update", "create") or op.class_name.endswith("Scope"):
                assert result["id"]
                assert result["_etag"].startswith('"')
    if op.verb != "GET" and (op.class_name, op.method) not in READS_OVER_POST:
        assert [w.method for w in emulator.writes] == [op.verb] or op.method == "revoke_all_trusted_devices"
