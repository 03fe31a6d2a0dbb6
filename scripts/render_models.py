"""``authpi_admin/generated/models/``: a pydantic model or enum for every schema the document marks as one.

Each model is a module of its own, importing the models it refers to, and the package loads a model when
it is first asked for: the first model call builds the few classes it needs, not all of them.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from render import HEADER, PRIMITIVES, snake


class ModelCycleError(Exception):
    """Two schemas refer to each other: the models could not be written in order."""


def python_type(schema: dict[str, Any], names: dict[str, str] | None = None, *, literals: bool = False) -> str:
    """The annotation for ``schema``; ``names`` maps schema keys to the names they are exported under.

    ``literals``: a string with an ``enum`` is a ``Literal`` of its values (for body types: mypy then
    catches a misspelt value), not a ``str``.
    """
    if "$ref" in schema:
        key = str(schema["$ref"].rsplit("/", 1)[1])
        return (names or {}).get(key, key)
    if "anyOf" in schema:
        return " | ".join(python_type(part, names, literals=literals) for part in schema["anyOf"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(python_type({**schema, "type": k}, names, literals=literals) for k in kind)
    if kind == "null":
        return "None"
    if literals and kind == "string" and "enum" in schema:
        return literal_of(schema["enum"])
    if kind == "array":
        return f"list[{python_type(schema.get('items', {}), names, literals=literals)}]"
    if kind == "object":
        return "dict[str, Any]"
    return PRIMITIVES.get(str(kind), "Any")


def literal_of(values: list[str]) -> str:
    """``Literal["a", "b"]``: the annotation that takes exactly these strings."""
    return "Literal[" + ", ".join(json.dumps(value) for value in values) + "]"


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
    # a member's name is its value upper-cased, with "." and "-" as "_": API_KEY_CREATED = "api-key.created"
    return lines + [f'    {re.sub(r"[.-]", "_", value.upper())} = "{value}"' for value in schema["enum"]]


def render_model(name: str, schema: dict[str, Any]) -> list[str]:
    extra = ', extra="allow"' if schema.get("additionalProperties") is True else ""
    lines = [f"class {name}(BaseModel):", f'    """{schema.get("description", f"The {name} object.")}"""', ""]
    lines += [f"    model_config = ConfigDict(defer_build=True, frozen=True{extra})", ""]
    required = set(schema.get("required", []))
    for field_name, field_schema in schema.get("properties", {}).items():
        default = "" if field_name in required else " = None"
        lines.append(f"    {field_name}: {python_type(field_schema)}{default}")
    lines.append("    _etag: str | None = PrivateAttr(default=None)")
    return lines


def module_of_model(name: str) -> str:
    """``WebhookListItem`` -> ``_webhook_list_item``: private, so the package's names are the models."""
    return "_" + snake(name)


def _render_model_module(name: str, schema: dict[str, Any]) -> str:
    body = render_enum(name, schema) if "enum" in schema else render_model(name, schema)
    refs = sorted(set(re.findall(r'"#/components/schemas/(\w+)"', json.dumps(schema))) - {name})
    text = "\n".join(body)
    imports = ["from __future__ import annotations", ""]
    if "enum" in schema:
        imports.append("from enum import StrEnum")
    else:
        if re.search(r"\bAny\b", text):
            imports.append("from typing import Any")
        imports.append("from pydantic import BaseModel, ConfigDict, PrivateAttr")
    imports += [f"from .{module_of_model(ref)} import {ref}" for ref in refs]
    return "\n".join([HEADER, "", *imports, "", "", text]) + "\n"


def render_models(document: Any) -> dict[str, str]:
    """The files of the ``models`` package, by their paths below ``generated/``."""
    names = model_order(document)
    # x-sdk-aliases: other names a model is importable under (0.3.0's, where it named models like errors)
    aliases = {alias: name for name in names for alias in document.schemas[name].get("x-sdk-aliases", [])}
    files = {f"models/{module_of_model(n)}.py": _render_model_module(n, document.schemas[n]) for n in names}
    files["models/__init__.py"] = _render_models_init(names, aliases)
    return files


# The end of the models package: a name is looked up in _HOMES, imported, and kept.
_LOAD_ON_USE = """

def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home[0]}"), home[1])
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
"""


def _render_models_init(names: list[str], aliases: dict[str, str]) -> str:
    """The package: every name for the type checker, and a module ``__getattr__`` that loads each on use."""
    homes = {name: (module_of_model(name), name) for name in names}
    homes |= {alias: (module_of_model(name), name) for alias, name in aliases.items()}
    lines = [
        HEADER.replace('"""Generated', '"""The models, each loaded on first use. Generated'),
        "",
        "from __future__ import annotations",
        "",
        "import importlib",
        "from typing import TYPE_CHECKING, Any",
        "",
        "if TYPE_CHECKING:",
        *[f"    from .{module_of_model(name)} import {name}" for name in names],
        "",
        "    # other names of the models above, kept importable for code written against 0.3.0",
        *[f"    {alias} = {name}" for alias, name in sorted(aliases.items())],
        "",
        "__all__ = [",
        *[f'    "{name}",' for name in sorted(homes)],
        "]",
        "",
        "# Each name, and the module (in this package) and class it is.",
        "_HOMES = {",
        *[f'    "{name}": ("{module}", "{cls}"),' for name, (module, cls) in sorted(homes.items())],
        "}",
    ]
    return "\n".join(lines) + "\n" + _LOAD_ON_USE


def _typed_dicts(document: Any) -> dict[str, str]:
    """Schema key -> the TypedDict name it is exported under: ``x-sdk-typeddict`` where today's SDK names
    one, else the document's own name of every other request body that is not a model."""
    named = {key: s["x-sdk-typeddict"] for key, s in document.schemas.items() if "x-sdk-typeddict" in s}
    for op in document.operations:
        key = str(op.body_schema.get("$ref", "")).rsplit("/", 1)[-1] if op.body_schema else ""
        if key in document.schemas and key not in named and not document.is_model(key):
            named[key] = key
    return named


def render_inputs(document: Any) -> str:
    """``generated/inputs.py``: a ``TypedDict`` for each request body the document names one for.

    They are ``typing_extensions.TypedDict`` (which pydantic installs) in a module without postponed
    annotations: on Python 3.11 ``typing.TypedDict`` cannot tell ``NotRequired`` keys in string annotations,
    and pydantic refuses it. Each docstring lists the body's fields with the document's descriptions.
    """
    typed = _typed_dicts(document)
    # inside a JSON payload a nested object is a dict, not a model; an enum is one of its values, as a string
    # or as the member of its StrEnum (both are the same string on the wire)
    names = dict(typed)
    enums: set[str] = set()
    for key, schema in document.schemas.items():
        if key not in typed:
            names[key] = f"{literal_of(schema['enum'])} | {key}" if "enum" in schema else "dict[str, Any]"
    lines = [HEADER, "", "from typing import Any, Literal, NotRequired", "", "from typing_extensions import TypedDict"]
    lines += ["", "__all__ = [", *[f'    "{name}",' for name in sorted(typed.values())], "]"]
    for key, name in sorted(typed.items(), key=lambda item: item[1]):
        schema = document.schemas[key]
        required = set(schema.get("required", []))
        properties = schema.get("properties", {})
        fields = []
        for field_name, field_schema in properties.items():
            annotation = python_type(field_schema, names, literals=True)
            enums.update(ref for ref in _refs(field_schema) if "enum" in document.schemas[ref])
            if any(other in re.findall(r"\w+", annotation) for other in typed.values()):
                # evaluated at class creation (no postponed annotations): a later class is not defined yet
                raise ValueError(f"{name}.{field_name}: a body type inside another is not supported")
            fields.append(f"    {field_name}: {annotation if field_name in required else f'NotRequired[{annotation}]'}")
        lines += ["", "", f"class {name}(TypedDict):", *_body_docstring(name, schema, required), "", *fields]
    # the enum classes the annotations name (modules of their own, importing nothing but enum)
    at = lines.index("from typing_extensions import TypedDict") + 1
    lines[at:at] = ["", *(f"from .models.{module_of_model(key)} import {key}" for key in sorted(enums))]
    return "\n".join(lines) + "\n"


def _refs(schema: dict[str, Any]) -> list[str]:
    """The schema keys ``schema`` refers to, at any depth."""
    return re.findall(r'"#/components/schemas/(\w+)"', json.dumps(schema))


def _body_docstring(name: str, schema: dict[str, Any], required: set[str]) -> list[str]:
    """The docstring of a body type: what it is, then each field (required or not) and its description."""
    summary = schema.get("description", f"The body of a request ({name}).")
    lines = textwrap.wrap(f'    """{summary}', width=110, subsequent_indent="    ", break_on_hyphens=False)
    lines += ["", "    Attributes:"]
    for field_name, field_schema in schema.get("properties", {}).items():
        described = field_schema.get("description") or field_schema.get("title") or "(no description in the document)"
        needed = "Required. " if field_name in required else ""
        text = f"        {field_name}: {needed}{described}"
        lines += textwrap.wrap(text, width=110, subsequent_indent="            ", break_on_hyphens=False)
    return [*lines, '    """']


def render_types(document: Any) -> str:
    """``generated/types.py``: every model, input TypedDict and enum, under the names users import."""
    typed = _typed_dicts(document)
    models = model_order(document)
    aliases = {alias for name in models for alias in document.schemas[name].get("x-sdk-aliases", [])}
    # a TypedDict takes its name here; a 0.3.0 model of the same name stays in generated.models
    exported_models = [name for name in models if name not in typed.values()]
    names = sorted({*exported_models, *aliases, *typed.values(), "CreateAuthMethodInput"})
    lines = [
        HEADER,
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        f"from .inputs import {', '.join(sorted(typed.values()))}",
        f"from .models import {', '.join(sorted({*exported_models, *aliases}))}",
        "",
        "# the body of an auth-method call has no documented shape",
        "CreateAuthMethodInput = dict[str, Any]",
        "",
        "__all__ = [",
        *[f'    "{name}",' for name in names],
        "]",
    ]
    return "\n".join(lines) + "\n"
