"""Reading the bundled OpenAPI document: where each SDK class is mounted, and every operation.

The document ships inside the package (``authpi_admin/generated/openapi.json``, copied there by the
generator from ``openapi/authpi-core.json``) so the emulator is faithful to it without the repo.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Mount", "Operation", "load_document", "mounts", "operations", "resolve"]

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def load_document() -> dict[str, Any]:
    """The OpenAPI document bundled with the package (parsed once)."""
    text = resources.files("authpi_admin.generated").joinpath("openapi.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` pointers until a real node."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@dataclass(frozen=True)
class Mount:
    """Where an SDK class is reachable: its full path template and the accessor chain from the client.

    ``chain`` is a tuple of ``(accessor, id placeholder or None)`` steps from ``AuthPIAdmin``.
    """

    class_name: str
    template: str
    chain: tuple[tuple[str, str | None], ...]

    @property
    def collection(self) -> str:
        """The collection segment this class works on (``users`` for both UsersResource and UserScope)."""
        literals = [s for s in self.template.split("/") if s and not s.startswith("{")]
        return literals[-1]

    @property
    def scope_param(self) -> str | None:
        """For a scope class, the placeholder naming its object."""
        last = self.template.rsplit("/", 1)[1]
        return last[1:-1] if last.startswith("{") else None


def mounts(document: dict[str, Any]) -> list[Mount]:
    """Every place an SDK class is mounted, walking ``x-sdk-tree`` from the client."""
    tree = document["x-sdk-tree"]
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
    """One SDK method bound to one HTTP operation, at one of its class's mounts."""

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
    def suffix(self) -> str:
        """The path below the mount."""
        return self.path[len(self.mount.template) :]

    @property
    def suffix_ids(self) -> list[str]:
        """Placeholders of the path below the mount, in the order the method takes them."""
        return PLACEHOLDER.findall(self.suffix)


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    """Every (operation, binding, mount) of the document."""
    by_class: dict[str, list[Mount]] = {}
    for mount in mounts(document):
        by_class.setdefault(mount.class_name, []).append(mount)
    for path, verbs in document["paths"].items():
        for verb, spec in verbs.items():
            for binding in spec["x-sdk-methods"]:
                for mount in by_class[binding["class"]]:
                    if path == mount.template or path.startswith(mount.template + "/"):
                        yield Operation(verb.upper(), path, binding["class"], binding["method"], mount, spec, binding)
