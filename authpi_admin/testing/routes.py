"""The emulator's route table: one `RouteSpec` per (path, verb) of the document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._openapi import ApiDocument, Operation, Parameter
from .kinds import KINDS, Action, action_for

__all__ = ["RouteSpec", "place_table", "route_order", "route_table"]

STANDARD_METHODS = frozenset({"list", "create", "get", "update", "delete"})


@dataclass(frozen=True)
class RouteSpec:
    """What the emulator needs to know about one operation, read from the document."""

    verb: str
    template: str
    class_name: str
    method: str
    collection: str
    parents: tuple[str, ...]
    item_param: str | None
    extra_params: tuple[str, ...]
    query: tuple[Parameter, ...]
    body_schema: dict[str, Any] | None
    body_required: bool
    paged: bool = False  # answers a page (a list call, whatever its method's name)
    key_from: str | None = None  # the body field a created object's id is taken from
    run: Action | None = None  # what an operation its kind implements does (kinds/); None: a standard one
    status: int = 200  # the status of a successful answer
    since: str | None = None  # the release whose API added the route (None: 0.3.0)
    deprecated: bool = False  # 0.3.0 reaches it, the live API answers 404 (strict mode does too)

    @property
    def action(self) -> str:
        """``list``, ``create``, ``get``, ``update``, ``delete``, or ``action`` for one its kind implements."""
        if self.paged:
            return "list"
        if self.run is not None:
            return "action"
        return self.method if self.method in STANDARD_METHODS else "action"


def _key_from(collection: str, parents: tuple[str, ...]) -> str | None:
    """The body field a new object's id comes from under this path, if its kind says so."""
    kind = KINDS.get(collection)
    if kind is None or kind.key_from_body is None:
        return None
    field, under = kind.key_from_body
    return field if under in parents else None


def _route_spec(op: Operation, document: ApiDocument) -> RouteSpec:
    mount = op.mount
    scope_param = mount.scope_param
    suffix_ids = op.suffix_ids
    item: str | None
    extras: tuple[str, ...] = ()
    parents = tuple(mount.params)
    if scope_param is not None:  # a scope's own get/update/delete
        item, parents = scope_param, tuple(p for p in parents if p != scope_param)
    elif op.method in ("get", "update", "delete"):
        item, extras = suffix_ids[-1], tuple(suffix_ids[:-1])
    elif op.method in ("list", "create"):
        item = None
    elif suffix_ids and mount.collection in KINDS:  # an action on the object its first id names
        item, extras = suffix_ids[0], tuple(suffix_ids[1:])
    else:  # an action on the collection: on the object that owns it
        item = None
    return RouteSpec(
        verb=op.verb,
        template=op.path,
        class_name=op.class_name,
        method=op.method,
        collection=mount.collection,
        parents=parents,
        item_param=item,
        extra_params=extras,
        # every query parameter the API takes, whichever SDK binding leaves some out
        query=tuple(p for p in document.parameters_of(op.spec) if p.location == "query"),
        body_schema=op.body_schema,
        body_required=op.body_required,
        paged=op.returns.is_page,
        key_from=_key_from(mount.collection, parents),
        run=None if op.returns.is_page else action_for(op.verb, op.path),
        status=document.success(op.spec)[0],
        since=op.binding.get("since"),
        deprecated=mount.deprecated,
    )


def route_table(document: ApiDocument) -> dict[str, dict[str, RouteSpec]]:
    """Path template -> verb -> route; the first binding of an operation describes it."""
    routes: dict[str, dict[str, RouteSpec]] = {}
    for op in document.operations:
        by_verb = routes.setdefault(op.path, {})
        if op.verb not in by_verb:
            spec = by_verb[op.verb] = _route_spec(op, document)
            if spec.action == "action" and spec.run is None:
                # every custom operation changes state as the API does: never a mere acknowledgement
                raise ValueError(f"{op.verb} {op.path} has no implementation in authpi_admin/testing/kinds/")
    return routes


def place_table(routes: dict[str, dict[str, RouteSpec]]) -> dict[str, tuple[str, str | None]]:
    """Every place an object lives, read from the route table: a collection's template (``.../users``) ->
    (its collection, None), and an object's (``.../users/{user_id}``) -> (its collection, the id's
    placeholder). What [`seed()`][authpi_admin.testing.Emulator.seed] and [`get()`][authpi_admin.testing.Emulator.get]
    take, found by the same router as a
    request's path."""
    places: dict[str, tuple[str, str | None]] = {}
    for template, by_verb in routes.items():
        for spec in by_verb.values():
            if spec.item_param is not None:
                marker = f"/{{{spec.item_param}}}"
                collection_template = template[: template.index(marker)]
                places.setdefault(collection_template, (spec.collection, None))
                places.setdefault(collection_template + marker, (spec.collection, spec.item_param))
            elif spec.action in ("list", "create"):
                places.setdefault(template, (spec.collection, None))
    return places


def route_order(path: str) -> tuple[tuple[int, str], ...]:
    """Sort key: a literal segment wins over a placeholder at the same place (``/notes/count`` first)."""
    return tuple((1, "") if s.startswith("{") else (0, s) for s in path.split("/"))
