"""The one reader of the OpenAPI document: mounts, operations, parameters, return shapes and schemas.

The generator (``scripts/generate.py``), the emulator's routing (``authpi_admin.testing``) and the tests all
read the document through `ApiDocument`, so the consistency checks made here protect all three.
This module imports nothing but the standard library: the generator loads it by file path, so a broken
generated package never stops the generator from running.

Two extensions tie the document to the SDK:

- ``x-sdk-tree`` says where each class is mounted: from ``AuthPIAdmin``, through accessors that add a path
  segment (a resource) or a segment and an id (a scope);
- ``x-sdk-methods`` on each operation names the class and method it is, any path parameter the SDK names
  differently (``path_params``), a return that is a model or ``Any`` (``returns``), and the operation's
  parameters a binding does not take (``omits``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ROOT_CLASS",
    "Accessor",
    "ApiDocument",
    "DocumentError",
    "Mount",
    "Operation",
    "Parameter",
    "Returns",
]

ROOT_CLASS = "AuthPIAdmin"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class DocumentError(Exception):
    """The document does not describe a consistent SDK surface."""


@dataclass(frozen=True)
class Accessor:
    """One attribute (resource) or method (scope) of a class that reaches another class."""

    owner: str
    name: str
    class_name: str
    segment: str | None  # added to the owner's path; None when ``path`` is absolute
    path: str | None  # an absolute mount (``/v1/accounts``)
    param: str | None  # the id a scope accessor takes
    since: str | None = None  # the release that added the accessor (None: 0.3.0)
    deprecated: str | None = None  # why, and what to use instead


@dataclass(frozen=True)
class Mount:
    """Where an SDK class is reachable: its full path template and the accessor chain from the client.

    ``chain`` is a tuple of ``(accessor, id placeholder or None)`` steps from ``AuthPIAdmin``.
    """

    class_name: str
    template: str
    chain: tuple[tuple[str, str | None], ...]
    deprecated: bool = False  # reached through an accessor the document deprecates

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

    @property
    def params(self) -> list[str]:
        """Every placeholder of the mount's template, outermost first."""
        return PLACEHOLDER.findall(self.template)


@dataclass(frozen=True)
class Parameter:
    """A query, header or path parameter of an operation, ``$ref`` resolved."""

    name: str
    location: str  # "query", "header" or "path"
    schema: dict[str, Any]
    required: bool
    description: str
    keyword_only: bool = False  # a filter added after 0.3.0: it may not shift 0.3.0's positional parameters
    accepts_string: bool = False  # 0.3.0 typed it ``str``: that stays accepted beside the document's type


@dataclass(frozen=True)
class Returns:
    """What a call answers, as the SDK hands it back.

    ``kind`` is ``none`` (204), ``object`` (a dict), ``any`` (whatever came), ``model`` (one ``model``),
    ``page`` (a page of dicts) or ``model_page`` (a page of ``model``).
    """

    kind: str
    model: str | None = None

    @property
    def is_page(self) -> bool:
        return self.kind in ("page", "model_page")


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
    parameters: tuple[Parameter, ...]
    body_schema: dict[str, Any] | None
    body_required: bool
    returns: Returns

    @property
    def id(self) -> str:
        return f"{self.class_name}.{self.method}@{self.path}"

    @property
    def summary(self) -> str:
        return str(self.spec.get("summary", ""))

    @property
    def suffix(self) -> str:
        """The path below the mount, with the document's placeholder names."""
        return self.path[len(self.mount.template) :]

    @property
    def suffix_ids(self) -> list[str]:
        """Placeholders of the path below the mount, in the order the method takes them."""
        return PLACEHOLDER.findall(self.suffix)

    @property
    def sdk_suffix(self) -> str:
        """The path below the mount, with placeholders named as the SDK method's parameters."""
        suffix = self.suffix
        for canonical, sdk_name in self.binding.get("path_params", {}).items():
            suffix = suffix.replace("{" + canonical + "}", "{" + sdk_name + "}")
        return suffix

    def in_(self, location: str) -> list[Parameter]:
        """The parameters of one kind (``query``, ``header``, ``path``), in document order."""
        return [p for p in self.parameters if p.location == location]


class ApiDocument:
    """A parsed OpenAPI document, checked to describe one consistent SDK surface.

    Raises `DocumentError` when a class is unknown, an operation lies below none of its class's
    mounts, a method is missing under one mount of its class, two mounts disagree on a method, or a
    return names a model that is not in ``components/schemas``.
    """

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.schemas: dict[str, Any] = raw["components"]["schemas"]
        self.class_descriptions = self._class_descriptions()
        self.class_bases = {t["name"]: t["x-sdk-base"] for t in raw.get("tags", []) if "x-sdk-base" in t}
        self.accessors = self._accessors()
        self.mounts = self._mounts()
        self.operations = self._operations()
        self._check_complete()

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` pointers until a real node."""
        while "$ref" in node:
            target: Any = self.raw
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def accessors_of(self, owner: str) -> list[Accessor]:
        """The accessors declared on ``owner`` (``AuthPIAdmin`` or a scope class), in document order."""
        return [a for a in self.accessors if a.owner == owner]

    def mounts_of(self, class_name: str) -> list[Mount]:
        """Where ``class_name`` is reachable: its own mounts and those of classes that extend it."""
        return [m for m in self.mounts if class_name in (m.class_name, self.class_bases.get(m.class_name))]

    def base_of(self, class_name: str) -> str | None:
        """The 0.3.0 class that ``class_name`` extends (``x-sdk-base``), if any."""
        return self.class_bases.get(class_name)

    def is_model(self, name: str) -> bool:
        """True for a schema the SDK turns into a model class (not an envelope or a plain input)."""
        return name in self.schemas and self.schemas[name].get("x-sdk-model") is not False

    # ------------------------------------------------------------------------------------------ reading

    def _class_descriptions(self) -> dict[str, str]:
        # resource classes are the document's tags; scope classes are the tree's nodes
        classes = {tag["name"]: tag.get("description", "") for tag in self.raw.get("tags", [])}
        for name, node in self.raw["x-sdk-tree"].items():
            if name != ROOT_CLASS:
                classes[name] = node.get("description", "")
        return classes

    def _accessors(self) -> list[Accessor]:
        found = []
        for owner, node in self.raw["x-sdk-tree"].items():
            for item in node["accessors"]:
                if item["class"] not in self.class_descriptions:
                    raise DocumentError(f"{owner}.{item['name']}: class {item['class']} is not in x-sdk-tree")
                found.append(
                    Accessor(
                        owner=owner,
                        name=item["name"],
                        class_name=item["class"],
                        segment=item.get("segment"),
                        path=item.get("path"),
                        param=item.get("param"),
                        since=item.get("since"),
                        deprecated=item.get("deprecated"),
                    )
                )
        return found

    def _mounts(self) -> list[Mount]:
        found: list[Mount] = []

        def walk(owner: str, path: str, chain: tuple[tuple[str, str | None], ...]) -> None:
            for accessor in self.accessors_of(owner):
                template = accessor.path or f"{path}/{accessor.segment}"
                if accessor.param:
                    template += f"/{{{accessor.param}}}"
                    step = (*chain, (accessor.name, accessor.param))
                    found.append(Mount(accessor.class_name, template, step))
                    walk(accessor.class_name, template, step)
                else:
                    step = (*chain, (accessor.name, None))
                    found.append(Mount(accessor.class_name, template, step, bool(accessor.deprecated)))

        walk(ROOT_CLASS, self.raw["x-sdk-tree"][ROOT_CLASS]["path"], ())
        return found

    def _operations(self) -> list[Operation]:
        found = []
        for path, verbs in self.raw["paths"].items():
            for verb, spec in verbs.items():
                for binding in spec["x-sdk-methods"]:
                    mounts = [m for m in self.mounts_of(binding["class"]) if _below(path, m.template)]
                    if binding["class"] not in self.class_descriptions:
                        raise DocumentError(f"{verb.upper()} {path}: unknown class {binding['class']}")
                    if not mounts:
                        raise DocumentError(f"{verb.upper()} {path}: not below any mount of {binding['class']}")
                    found += [self._operation(verb.upper(), path, spec, binding, mount) for mount in mounts]
        return found

    def parameters_of(self, spec: dict[str, Any], omit: tuple[str, ...] = ()) -> tuple[Parameter, ...]:
        """The parameters an operation takes on the wire (less those named in ``omit``)."""
        parameters = []
        for raw in spec.get("parameters", []):
            node = self.resolve(raw)
            if node["name"] in omit:
                continue
            parameters.append(
                Parameter(
                    node["name"],
                    node["in"],
                    self.resolve(node.get("schema", {})),
                    bool(node.get("required")),
                    node.get("description", ""),
                    bool(node.get("x-sdk-keyword-only")),
                    bool(node.get("x-sdk-accepts-string")),
                )
            )
        return tuple(parameters)

    def _operation(
        self, verb: str, path: str, spec: dict[str, Any], binding: dict[str, Any], mount: Mount
    ) -> Operation:
        # a binding may leave out parameters the API takes (``omits``): 0.3.0's backlinks_notes() takes none
        parameters = self.parameters_of(spec, tuple(binding.get("omits", ())))
        body = self.resolve(spec["requestBody"]) if "requestBody" in spec else None
        return Operation(
            verb=verb,
            path=path,
            class_name=binding["class"],
            method=binding["method"],
            mount=mount,
            spec=spec,
            binding=binding,
            parameters=parameters,
            body_schema=body["content"]["application/json"]["schema"] if body else None,
            body_required=bool(body and body.get("required")),
            returns=self._returns(binding, spec),
        )

    def success(self, spec: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """An operation's successful answer: its status and its response (``$ref`` resolved)."""
        code = next(code for code in sorted(spec["responses"]) if code.startswith("2"))
        return int(code), self.resolve(spec["responses"][code])

    def _returns(self, binding: dict[str, Any], spec: dict[str, Any]) -> Returns:
        declared = binding.get("returns")
        status, response = self.success(spec)
        if status == 204:
            return Returns("none")
        schema = self.resolve(response["content"]["application/json"]["schema"])
        is_list = schema is self.schemas["ListEnvelope"] or any(
            part.get("$ref", "").endswith("/ListEnvelope") for part in schema.get("allOf", [])
        )
        if is_list:
            match = re.fullmatch(r"Page\[(\w+)\]", declared or "")
            return Returns("model_page", self._model(match.group(1))) if match else Returns("page")
        if declared == "Any":
            return Returns("any")
        if declared:
            return Returns("model", self._model(declared))
        return Returns("object")

    def answer_of(self, op: Operation) -> Returns:
        """What the document says the operation answers, as a model: ``none`` (204), ``model`` (one),
        ``model_list`` (a JSON array of them in ``data``) or ``model_page`` (a page of them); ``object``
        (a plain dict) where the document says today's SDK answers one (``x-answer-dict``) or names no model.

        The typed view (``admin.typed``) answers this for every operation, whatever the plain call returns.
        """
        status, response = self.success(op.spec)
        if status == 204:
            return Returns("none")
        if response.get("x-answer-dict"):
            return Returns("object")
        schema = self.resolve(response["content"]["application/json"]["schema"])
        paged = any(part.get("$ref", "").endswith("/ListEnvelope") for part in schema.get("allOf", []))
        for part in schema.get("allOf", [schema]):
            data = self.resolve(part).get("properties", {}).get("data")
            if data is None:
                continue
            listed = data.get("type") == "array"
            name = str((data.get("items", {}) if listed else data).get("$ref", "")).rsplit("/", 1)[-1]
            if not name:  # the envelope's own untyped ``data``: the model is in another part
                continue
            kind = "model_page" if paged else "model_list" if listed else "model"
            return Returns(kind, self._model(name))
        return Returns("object")

    def _model(self, name: str) -> str:
        if not self.is_model(name):
            raise DocumentError(f"returns {name}, which is not a model in components/schemas")
        return name

    # ----------------------------------------------------------------------------------------- checking

    def _check_complete(self) -> None:
        """Every method of a class is under every mount of the class, and all mounts agree on it."""
        by_method: dict[tuple[str, str], list[Operation]] = {}
        for op in self.operations:
            by_method.setdefault((op.class_name, op.method), []).append(op)
        for (class_name, method), ops in by_method.items():
            missing = {m.template for m in self.mounts_of(class_name)} - {op.mount.template for op in ops}
            if missing:
                raise DocumentError(f"{class_name}.{method} is missing under {sorted(missing)}")
            shapes = {_signature(op) for op in ops}
            if len(shapes) > 1:
                raise DocumentError(f"{class_name}.{method}: mounts disagree ({ops[0].verb} {ops[-1].path})")


def _below(path: str, template: str) -> bool:
    return path == template or path.startswith(template + "/")


def _signature(op: Operation) -> tuple[Any, ...]:
    """What must be the same for one method at every mount of its class."""
    query = tuple((p.name, str(p.schema.get("type"))) for p in op.in_("query"))
    headers = tuple(p.name for p in op.in_("header"))
    body = None if op.body_schema is None else op.body_required
    return (op.verb, op.sdk_suffix, op.suffix, query, headers, body, op.returns)
