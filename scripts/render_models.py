"""``authpi_admin/generated/models.py``: a pydantic model or enum for every schema the document marks as one."""

from __future__ import annotations

import json
import re
from typing import Any

from render import HEADER, PRIMITIVES


class ModelCycleError(Exception):
    """Two schemas refer to each other: the models could not be written in order."""


def python_type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[1])
    if "anyOf" in schema:
        return " | ".join(python_type(part) for part in schema["anyOf"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(python_type({**schema, "type": k}) for k in kind)
    if kind == "null":
        return "None"
    if kind == "array":
        return f"list[{python_type(schema.get('items', {}))}]"
    if kind == "object":
        return "dict[str, Any]"
    return PRIMITIVES.get(str(kind), "Any")


def model_order(document: Any) -> list[str]:
    """Model names, each after the models it refers to."""
    schemas = document.schemas
    ordered: list[str] = []

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in trail:
            raise ModelCycleError(f"model cycle through {name}")
        for ref in re.findall(r'"#/components/schemas/(\w+)"', json.dumps(schemas[name])):
            visit(ref, (*trail, name))
        ordered.append(name)

    for name in schemas:
        if document.is_model(name):
            visit(name, ())
    return ordered


def render_enum(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"class {name}(StrEnum):", f'    """{schema.get("description", f"The values of {name}.")}"""', ""]
    return lines + [f'    {value.upper()} = "{value}"' for value in schema["enum"]]


def render_model(name: str, schema: dict[str, Any]) -> list[str]:
    extra = ', extra="allow"' if schema.get("additionalProperties") is True else ""
    lines = [f"class {name}(BaseModel):", f'    """{schema.get("description", f"The {name} object.")}"""', ""]
    lines += [f"    model_config = ConfigDict(frozen=True{extra})", ""]
    required = set(schema.get("required", []))
    for field_name, field_schema in schema.get("properties", {}).items():
        default = "" if field_name in required else " = None"
        lines.append(f"    {field_name}: {python_type(field_schema)}{default}")
    lines.append("    _etag: str | None = PrivateAttr(default=None)")
    return lines


def render_models(document: Any) -> str:
    names = model_order(document)
    # x-sdk-aliases: other names a model is importable under (0.3.0's, where it named models like errors)
    aliases = {alias: name for name in names for alias in document.schemas[name].get("x-sdk-aliases", [])}
    lines = [
        HEADER,
        "",
        "from __future__ import annotations",
        "",
        "from enum import StrEnum",
        "from typing import Any",
        "",
        "from pydantic import BaseModel, ConfigDict, PrivateAttr",
        "",
        "__all__ = [",
        *[f'    "{name}",' for name in sorted([*names, *aliases])],
        "]",
    ]
    for name in names:
        schema = document.schemas[name]
        lines += ["", ""]
        lines += render_enum(name, schema) if "enum" in schema else render_model(name, schema)
    if aliases:
        lines += ["", "", "# Other names of the models above, kept importable for code written against 0.3.0."]
        lines += [f"{alias} = {name}" for alias, name in sorted(aliases.items())]
    return "\n".join(lines) + "\n"
