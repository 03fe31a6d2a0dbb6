"""The public surface matches the published 0.3.0 interface, method by method.

``tests/data/surface-0.3.0.json`` is a copy of the reference facts (module, class, every method's
parameters in order with their types and defaults, keyword-only names, return annotation).
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from .openapi_walk import DOCUMENT

SURFACE: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "surface-0.3.0.json").read_text())
KEYWORD_TYPES = {
    "if_match": "str | None",
    "idempotency_key": "str | None",
    "timeout": "float | httpx.Timeout | None",  # widened: 0.3.0's float, or the httpx.Timeout it also takes
    "headers": "dict[str, str] | None",
}
# The deliberate widenings of 0.3.0's annotations: a body may be any mapping or a pydantic model, and a
# per-call timeout an httpx.Timeout (above).
WIDENED = {
    "dict[str, Any]": "Mapping[str, Any] | BaseModel",
    "dict[str, Any] | None": "Mapping[str, Any] | BaseModel | None",
}
CASES = [(cls, method) for cls, info in SURFACE.items() for method in info["methods"]]
# Filters the document types as it is (a boolean) where 0.3.0 typed them ``str``: ``str`` stays accepted.
TYPE_AND_STRING = {
    (op.class_name, name, p.name): f"{'bool' if p.schema['type'] == 'boolean' else p.schema['type']} | str | None"
    for op in DOCUMENT.operations
    for p in op.in_("query")
    if p.accepts_string
    for name in (op.method, f"{op.method}_all" if op.method != "list" else "list_all")
}


def expected_annotation(class_name: str, method: str, parameter: dict[str, Any]) -> str:
    """What the SDK annotates a 0.3.0 parameter with: 0.3.0's, or its deliberate widening."""
    widened = TYPE_AND_STRING.get((class_name, method, parameter["name"]))
    if widened is not None:
        assert parameter["type"] == "str | None"  # only 0.3.0's strings are widened
        return widened
    return WIDENED.get(parameter["type"], parameter["type"])


def added_filters(class_name: str, method: str) -> list[str]:
    """The keyword-only query filters the document adds to a 0.3.0 list (``x-sdk-keyword-only``)."""
    listing = "list" if method == "list_all" else method
    found = next((op for op in DOCUMENT.operations if (op.class_name, op.method) == (class_name, listing)), None)
    return [p.name for p in found.in_("query") if p.keyword_only] if found else []


def added_names(class_name: str) -> set[str]:
    """Methods and accessors the document marks as added after 0.3.0 (``since``) on a 0.3.0 class."""
    methods = {op.method for op in DOCUMENT.operations if op.class_name == class_name and "since" in op.binding}
    methods |= {
        f"{m}_all" if m != "list" else "list_all"
        for m in methods
        if any(op.returns.is_page for op in DOCUMENT.operations if (op.class_name, op.method) == (class_name, m))
    }
    accessors = {a.name for a in DOCUMENT.accessors_of(class_name) if a.since}
    return methods | accessors


def load(class_name: str) -> type:
    module = importlib.import_module(SURFACE[class_name]["module"])
    return getattr(module, class_name)  # type: ignore[no-any-return]


def test_the_reference_has_25_classes_and_127_methods() -> None:
    assert len(SURFACE) == 25
    assert len(CASES) == 127
    assert {(c, m, p) for c, m, p in TYPE_AND_STRING if m == "list"} == {
        ("OrganizationsResource", "list", name)
        for name in ("sso_enabled", "sso_only", "mfa_required", "invitation_enabled")
    }


@pytest.mark.parametrize(("class_name", "method"), CASES, ids=[f"{c}.{m['name']}" for c, m in CASES])
def test_method_signature(class_name: str, method: dict[str, Any]) -> None:
    function = getattr(load(class_name), method["name"])
    if method["name"] == "list_all":
        assert inspect.isasyncgenfunction(function)
    else:
        assert inspect.iscoroutinefunction(function)
    parameters = list(inspect.signature(function).parameters.values())
    assert parameters[0].name == "self"
    positional = [p for p in parameters[1:] if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    keyword_only = [p for p in parameters[1:] if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert len(positional) + len(keyword_only) == len(parameters) - 1
    assert [
        (p.name, p.annotation, None if p.default is inspect.Parameter.empty else repr(p.default)) for p in positional
    ] == [(p["name"], expected_annotation(class_name, method["name"], p), p["default"]) for p in method["params"]]
    later = added_filters(class_name, method["name"])  # keyword-only filters of today's API, ahead of 0.3.0's
    assert [p.name for p in keyword_only] == [*later, *method["keyword"]]
    keyword_only = [p for p in keyword_only if p.name not in later]
    for parameter in keyword_only:
        assert parameter.default is None
        assert parameter.annotation == KEYWORD_TYPES[parameter.name]
    assert inspect.signature(function).return_annotation == method["returns"]


@pytest.mark.parametrize("class_name", list(SURFACE))
def test_class_has_exactly_the_reference_methods_and_accessors(class_name: str) -> None:
    cls = load(class_name)
    reference = {m["name"] for m in SURFACE[class_name]["methods"]} | {
        a["name"] for a in SURFACE[class_name]["accessors"]
    }
    public = {name for name in dir(cls) if not name.startswith("_") and name not in ("base_path", "with_raw_response")}
    assert public - added_names(class_name) == reference  # 0.3.0's names, plus only what the document adds
    assert hasattr(cls, "with_raw_response")  # every class adds its raw view (README: what we add)
    assert cls.__doc__


@pytest.mark.parametrize("class_name", [c for c in SURFACE if c.endswith("Scope")])
def test_scope_accessors(class_name: str) -> None:
    from authpi_admin import AuthPIAdmin

    admin = AuthPIAdmin(api_key="k")
    scope = {
        "IssuerScope": lambda: admin.issuer("iss_1"),
        "UserScope": lambda: admin.issuer("iss_1").user("usr_1"),
        "AgentScope": lambda: admin.issuer("iss_1").agent("ag_1"),
        "WebhookScope": lambda: admin.webhook("wh_1"),
    }[class_name]()
    assert type(scope).__name__ == class_name
    for accessor in SURFACE[class_name]["accessors"]:
        if accessor["kind"] == "resource":
            resource = getattr(scope, accessor["name"])
            assert isinstance(resource, load(accessor["class"]))  # today's API may hand back a subclass
            assert resource is getattr(scope, accessor["name"])  # cached
            assert resource.base_path == f"{scope.base_path}/{accessor['segment']}"
        else:
            child = getattr(scope, accessor["name"])("x_1")
            assert type(child).__name__ == accessor["class"]
            assert child.base_path == f"{scope.base_path}/{accessor['segment']}/x_1"
            parameter = list(inspect.signature(getattr(scope, accessor["name"])).parameters)
            assert parameter == [accessor["param"]]
