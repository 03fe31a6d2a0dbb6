"""What each operation does to the emulator's state: create, read, update, delete, list and the actions.

Handlers see a request only once it is authenticated and validated (`dispatch` does that): they
get a `Call` and give back an `Answer`, or raise `Problem`. Nothing here knows HTTP frameworks, so the same code serves
a socket and the in-process transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .events import event_type, record_event
from .kinds import KINDS, PARENT_KIND, ActionContext, answer_of, shown
from .kinds.base import UNANNOUNCED
from .listing import decode_cursor, page_of
from .records import Problem, Record
from .routes import RouteSpec
from .state import EmulatorState, WriteLog

__all__ = ["Answer", "Call", "Handlers"]


@dataclass(slots=True)  # not frozen: a frozen dataclass is several times slower to make, once a request
class Call:
    """One authenticated, validated request (never changed once made)."""

    method: str
    path: str
    account: str
    auth_kind: str  # "api_key" or "access_token", as events record it
    params: dict[str, str]
    query: dict[str, Any]
    payload: dict[str, Any]
    idempotency_key: str | None = None
    if_match: str | None = None
    read_back: dict[str, Any] = field(default_factory=dict)  # fields the API sets, sent back with an update


@dataclass(slots=True)
class Answer:
    """What to answer: a status, a JSON body (None for 204) and the object's ETag."""

    status: int
    body: Any = None
    etag: str | None = None


class Handlers:
    """The operations over one emulator's store."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.store = state.store

    def handle(self, spec: RouteSpec, call: Call) -> Answer:
        """Apply ``call`` to the state as the operation ``spec`` documents."""
        parents = {name: (call.account if name == "account_id" else call.params[name]) for name in spec.parents}
        self.require_parents(call.account, parents)
        if spec.action == "list":
            return Answer(200, self._list(spec, call.account, parents, call.query))
        if spec.action == "create":
            payload = call.payload
            if spec.key_from and payload.get(spec.key_from) is not None:
                payload = {"id": str(payload[spec.key_from]), **payload}
            record = self.insert(call.account, spec.collection, parents, payload, principal=f"key:{call.account}")
            self._written(call, record, "created")
            extras = KINDS[record.kind].created_extras
            return self._object(call.account, record, 201, extras(record) if extras is not None else None)
        if spec.item_param is None:  # an action on the collection: it acts on the collection's owner
            return self._action(spec, call, self._owner(call.account, parents))
        record = self._find(spec, call.account, parents, call.params)
        if spec.action == "get":
            return self._object(call.account, record)
        self._check_if_match(call.if_match, record)
        if spec.action == "update":
            return self._update(call, record)
        if spec.action == "delete":
            self.store.remove(record.kind, call.account, record.key)
            parent_param = KINDS[spec.collection].parent_param
            if parent_param is not None:  # what lives under it goes with it
                self.store.remove_descendants(call.account, parent_param, record.key)
            self._written(call, record, "deleted")
            return Answer(204)
        return self._action(spec, call, record)

    # ----------------------------------------------------------------------------------------- objects

    def insert(
        self,
        account: str,
        collection: str,
        parents: dict[str, str],
        payload: dict[str, Any],
        *,
        principal: str | None = None,
    ) -> Record:
        """Store a new object; with a ``principal`` (an API call, not set-up) references are checked too."""
        kind = KINDS[collection]
        now = int(self.state.clock())
        data: dict[str, Any] = {**kind.defaults, "id": payload.get("id") or self.store.new_id(collection)}
        data.update(parents)
        data.update(payload)
        data.setdefault("created_at", now)
        data.setdefault("updated_at", data["created_at"])
        if "status" in data:
            data.setdefault("status_at", now)
        if principal is not None:
            self._check_references(account, parents, payload)
        if kind.complete is not None:
            kind.complete(self.store, data, self.state.clock(), principal or "system")
        stored_parents = {k: v for k, v in parents.items() if k not in kind.data_parents}
        key = kind.key_of(data[kind.key_field])
        if self.store.get(collection, account, key) is not None:
            raise Problem(409, "conflict", f"A {kind.label} {key} already exists")
        duplicate = self.store.conflict(collection, account, stored_parents, data, key)
        if duplicate is not None:
            raise Problem(409, "conflict", f"A {kind.label} with this {duplicate} already exists")
        return self.store.add(collection, account, key, data, stored_parents)

    def require_parents(self, account: str, parents: Mapping[str, str]) -> None:
        """404 unless every parent object in the path exists (and lives where the path says)."""
        seen: dict[str, str] = {}
        for name, value in parents.items():
            if name != "account_id":
                record = self.store.get(PARENT_KIND[name], account, value)
                if record is None or any(record.parents.get(k, v) != v for k, v in seen.items() if k != "account_id"):
                    raise Problem(404, "not_found", f"No {PARENT_KIND[name][:-1]} {value}")
            seen[name] = value

    def _owner(self, account: str, parents: dict[str, str]) -> Record:
        """The innermost object of the path (the account when the path names no other)."""
        named = [(name, value) for name, value in parents.items() if name != "account_id"]
        if not named:
            owner = self.store.get("accounts", account, account)
        else:
            name, value = named[-1]
            owner = self.store.get(PARENT_KIND[name], account, value)
        assert owner is not None  # require_parents has checked the path
        return owner

    def _find(self, spec: RouteSpec, account: str, parents: dict[str, str], params: dict[str, str]) -> Record:
        assert spec.item_param is not None
        kind = KINDS[spec.collection]
        # "me" (or the caller's own id) names the caller's account; dispatch has checked it
        key = account if kind.root else params[spec.item_param]
        record = self.store.get(spec.collection, account, kind.key_of(key))
        matches = record is not None and all(
            record.parents.get(name, record.data.get(name)) == value
            for name, value in parents.items()
            if name != "account_id"
        )
        if record is None or not matches or any(record.data.get(p) != params[p] for p in spec.extra_params):
            raise Problem(404, "not_found", f"No {kind.label} {key}")
        return record

    def _check_references(self, account: str, parents: dict[str, str], data: Mapping[str, Any]) -> None:
        """422 when the body names an organization or user that does not exist in the same issuer."""
        errors = []
        for field_name, collection in (("org_id", "organizations"), ("user_id", "users")):
            if field_name in data and field_name not in parents:
                record = self.store.get(collection, account, str(data[field_name]))
                if record is None or record.parents.get("issuer_id") != parents.get("issuer_id"):
                    errors.append({"field": field_name, "code": "not_found", "message": f"no such {collection[:-1]}"})
        if errors:
            raise Problem(422, "validation_failed", "The request is not valid", fields=errors)

    def _check_if_match(self, expected: str | None, record: Record) -> None:
        if expected is not None and expected.strip() != "*" and expected.strip() != record.etag:
            raise Problem(
                412, "precondition_failed", "The object has changed since it was read", current_etag=record.etag
            )

    def _update(self, call: Call, record: Record) -> Answer:
        self._check_read_back(call, record)
        kind = KINDS[record.kind]
        changed = kind.revise(record.data, call.payload) if kind.revise is not None else {**record.data, **call.payload}
        duplicate = self.store.conflict(record.kind, call.account, record.parents, changed, record.key)
        if duplicate is not None:
            raise Problem(409, "conflict", f"Another {KINDS[record.kind].singular} has this {duplicate}")
        if "status" in call.payload and call.payload["status"] != record.data.get("status"):
            changed["status_at"] = int(self.state.clock())
        record.data = changed
        self.store.reindex(record, call.account)
        self._bump(record)
        self._written(call, record, "updated")
        return self._object(call.account, record)

    def _check_read_back(self, call: Call, record: Record) -> None:
        """Fields of an update that only the API sets (``id``, timestamps, derived fields) are accepted when
        they hold what the object holds (it was read and sent back as it is), refused when changed."""
        if not call.read_back:
            return
        current = shown(self.store, call.account, record)
        errors = []
        for name, value in call.read_back.items():
            if name not in current:
                errors.append({"field": name, "code": "unknown_field", "message": "is not a known field"})
            elif current[name] != value:
                errors.append({"field": name, "code": "read_only", "message": "is set by the API and cannot change"})
        if errors:
            raise Problem(422, "validation_failed", "The request is not valid", fields=errors)

    def _action(self, spec: RouteSpec, call: Call, record: Record) -> Answer:
        """Run the operation its kind implements (every custom operation has one: no acknowledgement that
        changes nothing)."""
        if spec.run is None:  # the route table refuses such a route (routes.py): never answered
            raise Problem(501, "not_implemented", "The emulator does not implement this operation")
        now = int(self.state.clock())
        context = ActionContext(
            self.store,
            call.account,
            record,
            call.payload,
            call.query,
            now,
            self.state.strict,
            call.params,
            self.state.deliveries_due,
        )
        outcome, event = spec.run(context)
        if isinstance(outcome, Record):
            if event is not None:
                self._bump(outcome)
                self._written(call, outcome, event)
            return self._object(call.account, outcome, spec.status)
        if event is not None:
            self._written(call, record, event)
        return Answer(spec.status, {"data": outcome})

    def _object(self, account: str, record: Record, status: int = 200, extras: dict[str, Any] | None = None) -> Answer:
        """The one-object answer about ``record``, with its ETag."""
        data = answer_of(self.store, account, record)
        return Answer(status, {"data": {**data, **extras} if extras else data}, record.etag)

    def _bump(self, record: Record) -> None:
        """A record changed: new version, new ETag, ``updated_at`` now (float where the kind keeps floats)."""
        now = self.state.clock()
        record.data["updated_at"] = now if isinstance(record.data.get("updated_at"), float) else int(now)
        record.version += 1
        record.touch()

    def _list(self, spec: RouteSpec, account: str, parents: dict[str, str], query: dict[str, Any]) -> dict[str, Any]:
        after = decode_cursor(query.get("cursor"))
        root = KINDS[spec.collection].root
        scope = {} if root else {k: v for k, v in parents.items() if k != "account_id"}
        return page_of(self.store, account, self.store.under(spec.collection, account, scope, after), query)

    def _written(self, call: Call, record: Record, change: str) -> None:
        """Log a write and record its event (``change`` is a verb like ``created``, a full type, or
        `UNANNOUNCED` for a write today's API records no event for)."""
        if change == UNANNOUNCED:
            self.state.writes.append(WriteLog(call.method, call.path, call.idempotency_key, None))
            return
        name = event_type(record.kind, change)
        self.state.writes.append(WriteLog(call.method, call.path, call.idempotency_key, name))
        # the deliveries it makes reach the deliverer as they are stored (Store.watch)
        record_event(
            self.store, call.account, record, name, source=call.path, auth_kind=call.auth_kind, now=self.state.clock()
        )
