"""The request-body TypedDicts hold at run time: the keys they require are the document's, pydantic accepts
each of them, and every one says what its fields mean. Run on the lowest supported Python (3.11, where
``typing.TypedDict`` got ``NotRequired`` wrong) and on the newest in CI."""

from __future__ import annotations

import inspect
import json
import typing
from pathlib import Path
from typing import Any

import pydantic
import pytest

from authpi_admin import types
from authpi_admin.generated import inputs

DOCUMENT = json.loads((Path(__file__).resolve().parent.parent / "openapi" / "authpi-core.json").read_text())
SCHEMAS = DOCUMENT["components"]["schemas"]
# each body type, and the schema of the document it is generated from
BODY_SCHEMAS = {
    schema.get("x-sdk-typeddict", key): schema
    for key, schema in SCHEMAS.items()
    if schema.get("x-sdk-typeddict", key) in inputs.__all__ and (key in inputs.__all__ or "x-sdk-typeddict" in schema)
}
SAMPLE_VALUES: dict[str, Any] = {"string": "x", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}


def test_every_body_type_is_checked() -> None:
    assert sorted(BODY_SCHEMAS) == sorted(inputs.__all__)


def _sample(schema: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _sample(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:
        return _sample(schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    return SAMPLE_VALUES[kind[0] if isinstance(kind, list) else kind]


@pytest.mark.parametrize("name", sorted(BODY_SCHEMAS))
def test_the_required_keys_are_the_documents(name: str) -> None:
    body_type = getattr(types, name)
    schema = BODY_SCHEMAS[name]
    assert body_type.__required_keys__ == frozenset(schema.get("required", []))
    assert body_type.__optional_keys__ == frozenset(schema["properties"]) - frozenset(schema.get("required", []))


@pytest.mark.parametrize("name", sorted(BODY_SCHEMAS))
def test_pydantic_takes_each_body_type(name: str) -> None:
    body_type = getattr(types, name)
    schema = BODY_SCHEMAS[name]
    adapter = pydantic.TypeAdapter(body_type)
    minimal = {field: _sample(schema["properties"][field]) for field in schema.get("required", [])}
    assert adapter.validate_python(minimal) == minimal
    for missing in schema.get("required", []):
        with pytest.raises(pydantic.ValidationError, match=missing):
            adapter.validate_python({k: v for k, v in minimal.items() if k != missing})


@pytest.mark.parametrize("name", sorted(BODY_SCHEMAS))
def test_each_body_docstring_lists_its_fields_with_descriptions(name: str) -> None:
    doc = inspect.cleandoc(getattr(types, name).__doc__ or "")  # Python 3.13 dedents docstrings itself
    assert "(a JSON object)" not in doc
    assert "no description" not in doc
    described = doc.split("Attributes:", 1)[1]
    for field, schema in BODY_SCHEMAS[name]["properties"].items():
        assert f"\n    {field}: " in described
        assert " ".join(schema["description"].split()[:3]) in " ".join(described.split())


def test_organization_level_bodies_need_no_org_id() -> None:
    for name in ("OrganizationGroupCreate", "OrganizationMemberCreate", "OrganizationInvitationCreate"):
        assert "org_id" not in typing.get_type_hints(getattr(types, name))
    assert "org_id" in types.GroupCreate.__required_keys__  # the deprecated issuer-level call's


def test_typing_extensions_comes_with_pydantic() -> None:
    """The body types use typing_extensions without declaring it: pydantic requires it at every version this
    project allows, so it is there wherever the SDK is."""
    from importlib.metadata import requires

    assert any(r.replace("_", "-").startswith("typing-extensions") for r in requires("pydantic") or [])
