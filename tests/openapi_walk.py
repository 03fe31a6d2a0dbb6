"""The repo's OpenAPI document as tests need it (the walking itself is the package's own code)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from authpi_admin.testing import document as _document
from authpi_admin.testing.document import Mount, Operation

__all__ = ["DOCUMENT", "Mount", "Operation", "operations", "reach", "resolve", "returns", "sample", "sample_id"]

# The repo's document (not the package's copy), so a stale copy cannot hide a change.
DOCUMENT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "openapi" / "authpi-core.json").read_text()
)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` pointers inside the document."""
    return _document.resolve(DOCUMENT, node)


def operations() -> list[Operation]:
    """Every SDK method bound to an operation, at each mount of its class."""
    return list(_document.operations(DOCUMENT))


def sample_id(name: str) -> str:
    """The value a wire test puts in the path for the placeholder ``name``."""
    return "me" if name == "account_id" else f"{name.replace('_id', '')}_{len(name)}x"


def reach(mount: Mount, admin: Any, ids: Callable[[str], str] = sample_id) -> Any:
    """The SDK object for ``mount``, reached from ``admin`` through its accessors."""
    node = admin
    for accessor, param in mount.chain:
        node = getattr(node, accessor)(ids(param)) if param else getattr(node, accessor)
    return node


def returns(op: Operation) -> str:
    """What the SDK method gives back: none, object, page, model_page or model."""
    if "204" in op.spec["responses"]:
        return "none"
    declared = op.binding.get("returns", "")
    success = next(code for code in sorted(op.spec["responses"]) if code.startswith("2"))
    schema = resolve(resolve(op.spec["responses"][success])["content"]["application/json"]["schema"])
    if schema is DOCUMENT["components"]["schemas"]["ListEnvelope"] or "allOf" in schema:
        return "model_page" if declared.startswith("Page[") else "page"
    if declared and declared != "Any":
        return "model"
    return "object"


def parameters(op: Operation, where: str) -> list[dict[str, Any]]:
    """The operation's parameters of one kind (``query``, ``header``, ``path``), resolved."""
    return [p for p in map(resolve, op.spec.get("parameters", [])) if p["in"] == where]


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
