"""The repo's OpenAPI document as tests need it, read by the package's one reader (``authpi_admin._openapi``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from authpi_admin._openapi import ApiDocument, Mount, Operation, Parameter

__all__ = ["DOCUMENT", "Mount", "Operation", "Parameter", "operations", "reach", "resolve", "sample", "sample_id"]

# The repo's document (not the package's copy), so a stale copy cannot hide a change.
DOCUMENT = ApiDocument(
    json.loads((Path(__file__).resolve().parent.parent / "openapi" / "authpi-core.json").read_text())
)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` pointers inside the document."""
    return DOCUMENT.resolve(node)


def operations() -> list[Operation]:
    """Every SDK method bound to an operation, at each mount of its class."""
    return list(DOCUMENT.operations)


def sample_id(name: str) -> str:
    """The value a wire test puts in the path for the placeholder ``name``."""
    return "me" if name == "account_id" else f"{name.replace('_id', '')}_{len(name)}x"


def reach(mount: Mount, admin: Any, ids: Callable[[str], str] = sample_id) -> Any:
    """The SDK object for ``mount``, reached from ``admin`` through its accessors."""
    node = admin
    for accessor, param in mount.chain:
        node = getattr(node, accessor)(ids(param)) if param else getattr(node, accessor)
    return node


def sample(schema: dict[str, Any], overrides: dict[str, Any] | None = None) -> Any:
    """A minimal valid value for a schema: required fields only (``overrides`` by field name)."""
    schema = resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return sample(schema["anyOf"][0], overrides)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    formats = {"email": "new@example.com", "hostname": "new.example.com"}
    makers: dict[str, Callable[[], Any]] = {
        "string": lambda: formats.get(schema.get("format", ""), "text"),
        "integer": lambda: 1,
        "number": lambda: 1.5,
        "boolean": lambda: True,
        "array": lambda: [],
    }
    if kind in makers:
        return makers[kind]()
    overrides = overrides or {}
    return {
        name: overrides[name] if name in overrides else sample(schema["properties"][name], overrides)
        for name in schema.get("required", [])
    }
