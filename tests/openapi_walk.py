"""Reads the repo's OpenAPI document the way a test needs it: every operation, where its class is mounted,
and how to reach that class from an :class:`AuthPIAdmin`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCUMENT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "openapi" / "authpi-core.json").read_text()
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` pointers inside the document."""
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def sample_id(name: str) -> str:
    """The value a test puts in the path for the placeholder ``name``."""
    return "me" if name == "account_id" else f"{name.replace('_id', '')}_{len(name)}x"


@dataclass(frozen=True)
class Mount:
    """Where one class is reachable: its full path template and the accessor chain from the client."""

    class_name: str
    template: str
    chain: tuple[tuple[str, str | None], ...]  # (accessor, scope id placeholder or None)

    def reach(self, admin: Any) -> Any:
        node = admin
        for accessor, param in self.chain:
            node = getattr(node, accessor)(sample_id(param)) if param else getattr(node, accessor)
        return node


def mounts() -> list[Mount]:
    tree = DOCUMENT["x-sdk-tree"]
    found: list[Mount] = []

    def walk(owner: str, path: str, chain: tuple[tuple[str, str | None], ...]) -> None:
        for item in tree[owner]["accessors"]:
            if "param" in item:
                template = f"{path}/{item['segment']}/{{{item['param']}}}"
                step = (*chain, (item["name"], item["param"]))
                found.append(Mount(item["class"], template, step))
                walk(item["class"], template, step)
            else:
                template = item.get("path") or f"{path}/{item['segment']}"
                found.append(Mount(item["class"], template, (*chain, (item["name"], None))))

    walk("AuthPIAdmin", tree["AuthPIAdmin"]["path"], ())
    return found


@dataclass(frozen=True)
class Operation:
    """One SDK method bound to one HTTP operation at one mount."""

    verb: str
    path: str
    class_name: str
    method: str
    mount: Mount
    spec: dict[str, Any]
    binding: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.class_name}.{self.method}@{self.path}"

    @property
    def suffix_ids(self) -> list[str]:
        """Placeholders of the path below the mount, in the order the method takes them."""
        return PLACEHOLDER.findall(self.path[len(self.mount.template) :])

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in map(resolve, self.spec.get("parameters", [])) if p["in"] == where]

    @property
    def returns(self) -> str:
        if "204" in self.spec["responses"]:
            return "none"
        declared = self.binding.get("returns", "")
        success = next(code for code in sorted(self.spec["responses"]) if code.startswith("2"))
        schema = resolve(resolve(self.spec["responses"][success])["content"]["application/json"]["schema"])
        is_list = schema is DOCUMENT["components"]["schemas"]["ListEnvelope"] or "allOf" in schema
        if is_list:
            return "model_page" if declared.startswith("Page[") else "page"
        if declared and declared != "Any":
            return "model"
        return "object"


def operations() -> Iterator[Operation]:
    by_class: dict[str, list[Mount]] = {}
    for mount in mounts():
        by_class.setdefault(mount.class_name, []).append(mount)
    for path, verbs in DOCUMENT["paths"].items():
        for verb, spec in verbs.items():
            for binding in spec["x-sdk-methods"]:
                for mount in by_class[binding["class"]]:
                    if path == mount.template or path.startswith(mount.template + "/"):
                        yield Operation(verb.upper(), path, binding["class"], binding["method"], mount, spec, binding)


def sample(schema: dict[str, Any]) -> Any:
    """A minimal valid value for a schema: required fields only."""
    schema = resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return sample(schema["anyOf"][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    makers: dict[str, Callable[[], Any]] = {
        "string": lambda: "text",
        "integer": lambda: 1,
        "number": lambda: 1.5,
        "boolean": lambda: True,
        "array": lambda: [],
    }
    if kind in makers:
        return makers[kind]()
    return {name: sample(schema["properties"][name]) for name in schema.get("required", [])}
