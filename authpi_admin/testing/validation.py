"""A small JSON Schema checker for the subset the document uses, reporting errors per field.

Covers ``type`` (including type lists and ``null``), ``properties``, ``required``,
``additionalProperties``, ``items``, ``enum``, ``anyOf``, ``minLength``, ``minimum``/``maximum``,
``format: email|hostname`` and ``$ref``. Each error is ``{"field", "code", "message"}``, the shape of the
API's ``FieldError``.
"""

from __future__ import annotations

import re
from typing import Any

from .._openapi import ApiDocument

__all__ = ["field_errors"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _is_type(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[kind])


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field or "body", "code": code, "message": message}


def field_errors(document: ApiDocument, schema: dict[str, Any], value: Any, field: str = "") -> list[dict[str, str]]:
    """Every way ``value`` breaks ``schema``; an empty list when it conforms."""
    schema = document.resolve(schema)
    if "anyOf" in schema:
        options = [field_errors(document, option, value, field) for option in schema["anyOf"]]
        return [] if any(not errors for errors in options) else options[0]
    kinds = schema.get("type")
    if kinds is not None:
        allowed = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is_type(value, kind) for kind in allowed):
            return [_error(field, "invalid_type", f"must be of type {' or '.join(allowed)}")]
    if value is None:
        return []
    if "enum" in schema and value not in schema["enum"]:
        return [_error(field, "invalid_value", f"must be one of: {', '.join(map(str, schema['enum']))}")]
    if isinstance(value, str):
        return _string_errors(schema, value, field)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return [_error(field, "out_of_range", f"must be at least {schema['minimum']}")]
        if "maximum" in schema and value > schema["maximum"]:
            return [_error(field, "out_of_range", f"must be at most {schema['maximum']}")]
    if isinstance(value, list) and "items" in schema:
        errors: list[dict[str, str]] = []
        for index, item in enumerate(value):
            errors += field_errors(document, schema["items"], item, f"{field}[{index}]")
        return errors
    if isinstance(value, dict):
        return _object_errors(document, schema, value, field)
    return []


def _string_errors(schema: dict[str, Any], value: str, field: str) -> list[dict[str, str]]:
    if len(value) < schema.get("minLength", 0):
        return [_error(field, "too_short", "must not be empty")]
    pattern = {"email": _EMAIL, "hostname": _HOSTNAME}.get(schema.get("format", ""))
    if pattern is not None and not pattern.match(value):
        return [_error(field, "invalid_format", f"must be a valid {schema['format']}")]
    return []


def _object_errors(
    document: ApiDocument, schema: dict[str, Any], value: dict[str, Any], field: str
) -> list[dict[str, str]]:
    prefix = f"{field}." if field else ""
    properties: dict[str, Any] = schema.get("properties", {})
    errors = [
        _error(prefix + name, "required", "is required") for name in schema.get("required", []) if name not in value
    ]
    for name, item in value.items():
        if name in properties:
            errors += field_errors(document, properties[name], item, prefix + name)
        elif schema.get("additionalProperties") is False:
            errors.append(_error(prefix + name, "unknown_field", "is not a known field"))
    return errors
