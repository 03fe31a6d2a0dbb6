"""The emulator: an ASGI application that serves every operation of the bundled OpenAPI document.

State lives in memory (:mod:`.store`); routes are derived from the document, so every call the SDK
can make is answered the way the API documents: ``{"data": ...}`` envelopes, cursor pages, ETags and
``If-Match``, ``Idempotency-Key`` replay, validation errors with ``fields``, 404/409/412, events for
every write, API keys and expiring bearer tokens, and faults on demand (:mod:`.faults`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .actions import ACTIONS, ActionContext
from .defaults import complete
from .document import Operation, load_document, operations, resolve
from .events import record_event, type_matches
from .faults import Fault, Faults
from .store import KINDS, PARENT_KIND, Problem, Record, Store
from .validation import field_errors

if TYPE_CHECKING:
    from ..client import AuthPIAdmin

__all__ = ["IN_PROCESS_URL", "DroppedConnection", "Emulator"]

IN_PROCESS_URL = "http://localhost"
MUTATIONS = frozenset({"POST", "PATCH", "DELETE", "PUT"})
STANDARD_METHODS = frozenset({"list", "create", "get", "update", "delete"})


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised by the emulator to cut a connection on purpose (a ``drop`` fault).

    Over a socket the client sees the connection close mid-answer; in process (``httpx.ASGITransport``)
    it sees this exception, which is the same kind of transport error.
    """


@dataclass
class Credential:
    """A bearer credential the emulator accepts."""

    account: str
    kind: str  # "api_key" or "access_token"
    expires_at: float | None = None


@dataclass
class WriteLog:
    """One mutation the emulator applied (replays are not applied again, so they are not here)."""

    method: str
    path: str
    idempotency_key: str | None
    event_type: str | None


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
    query: tuple[dict[str, Any], ...]
    body_schema: dict[str, Any] | None
    body_required: bool

    @property
    def action(self) -> str:
        return self.method if self.method in STANDARD_METHODS else "action"


@dataclass
class _Stored:
    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _route_spec(document: dict[str, Any], op: Operation) -> RouteSpec:
    mount = op.mount
    scope_param = mount.scope_param
    suffix_ids = op.suffix_ids
    mount_params = [p[1:-1] for p in mount.template.split("/") if p.startswith("{")]
    item: str | None
    extras: tuple[str, ...]
    if scope_param is not None:  # a scope's own get/update/delete
        item, extras, parents = scope_param, (), tuple(p for p in mount_params if p != scope_param)
    elif op.method in ("get", "update", "delete"):
        item, extras, parents = suffix_ids[-1], tuple(suffix_ids[:-1]), tuple(mount_params)
    elif op.method in ("list", "create"):
        item, extras, parents = None, (), tuple(mount_params)
    else:  # an action on the object its first id names
        item, extras, parents = suffix_ids[0], tuple(suffix_ids[1:]), tuple(mount_params)
    parameters = [resolve(document, p) for p in op.spec.get("parameters", [])]
    body = op.spec.get("requestBody")
    return RouteSpec(
        verb=op.verb,
        template=op.path,
        class_name=op.class_name,
        method=op.method,
        collection=mount.collection,
        parents=parents,
        item_param=item,
        extra_params=extras,
        query=tuple(p for p in parameters if p["in"] == "query"),
        body_schema=body["content"]["application/json"]["schema"] if body else None,
        body_required=bool(body and body.get("required")),
    )


def _route_order(path: str) -> tuple[tuple[int, str], ...]:
    # a literal segment must win over a placeholder at the same place (/notes/count before /notes/{note_id})
    return tuple((1, "") if s.startswith("{") else (0, s) for s in path.split("/"))


def _error_body(problem: Problem, reference: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": problem.error,
        "error_description": problem.description,
        "reference": reference,
        "retryable": problem.status in (408, 429, 502, 503, 504),
    }
    if problem.fields is not None:
        body["fields"] = problem.fields
    if problem.current_etag is not None:
        body["current_etag"] = problem.current_etag
    if problem.retry_after is not None:
        body["retry_after"] = problem.retry_after
    return body


class _DropResponse(Response):
    """Starts an answer, then cuts the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"data": ', "more_body": True})
        raise DroppedConnection("the emulator dropped the connection (injected fault)")


class Emulator:
    """A stateful, in-memory AuthPI Core API. Call it as an ASGI app, or use :meth:`client`.

    ``api_keys`` are accepted as credentials for ``account_id``; :meth:`issue_token` makes bearer tokens
    that can expire. ``seed`` makes generated ids repeatable; ``clock`` gives the time (epoch seconds).
    """

    def __init__(
        self,
        *,
        api_keys: Iterable[str] = ("key_test",),
        account_id: str = "acc_test",
        seed: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.document = load_document()
        self.store = Store(seed)
        self.faults = Faults(seed)
        self.clock = clock
        self.account_id = account_id
        self.writes: list[WriteLog] = []
        self.request_count = 0
        self._lock = threading.RLock()
        self._credentials: dict[str, Credential] = {}
        self._idempotency: dict[tuple[str, str], _Stored] = {}
        self._token_counter = 0
        self.api_keys = list(api_keys)
        self.add_account(account_id, name="Emulated account")
        for key in self.api_keys:
            self.add_credential(key, account_id)
        self.routes = self._routes()
        self.app = Starlette(
            routes=[
                Route(path, self._endpoint(specs), methods=list(specs))
                for path, specs in sorted(self.routes.items(), key=lambda item: _route_order(item[0]))
            ],
            exception_handlers={HTTPException: self._http_exception},  # type: ignore[dict-item]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # ------------------------------------------------------------------------------------ set-up API

    def add_account(self, account_id: str, **fields: Any) -> dict[str, Any]:
        """Create an account (no credential yet: see :meth:`add_credential`)."""
        now = int(self.clock())
        with self._lock:
            data = {"id": account_id, "name": account_id, **fields, "created_at": now, "updated_at": now}
            return self.store.add("accounts", account_id, account_id, data, {}).public()

    def add_credential(self, token: str, account_id: str | None = None, *, expires_in: float | None = None) -> str:
        """Accept ``token`` as an API key (no expiry) or access token (with ``expires_in`` seconds)."""
        kind = "api_key" if expires_in is None else "access_token"
        expires_at = None if expires_in is None else self.clock() + expires_in
        with self._lock:
            self._credentials[token] = Credential(account_id or self.account_id, kind, expires_at)
        return token

    def issue_token(self, account_id: str | None = None, *, expires_in: float = 3600.0) -> str:
        """A new bearer access token for the account, valid for ``expires_in`` seconds."""
        with self._lock:
            self._token_counter += 1
            token = f"tok_{self._token_counter:04d}_{hashlib.sha256(str(self.clock()).encode()).hexdigest()[:8]}"
        return self.add_credential(token, account_id, expires_in=expires_in)

    def expire_token(self, token: str) -> None:
        """Make a token answer 401 ``token_expired`` from now on."""
        with self._lock:
            self._credentials[token].expires_at = self.clock() - 1

    def seed(self, collection_path: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Store an object directly, with no validation and no event: for set-up of tests.

        ``collection_path`` is the collection it belongs to, e.g.
        ``/v1/accounts/me/issuers/iss_1/users/usr_1/sessions``; ``data`` may fix the ``id``.
        """
        with self._lock:
            account, collection, key, parents = self._parse_concrete(collection_path)
            if key is not None:
                raise ValueError("seed() takes a collection path, not an object path")
            self._require_parents(account, parents)
            return self._insert(account, collection, parents, dict(data or {})).public()

    def add_session(self, issuer_id: str, user_id: str, **fields: Any) -> dict[str, Any]:
        """Seed a session of a user (the API has no call that creates one)."""
        defaults = {"authentication": {"method": "password"}, "client": {}, "expires_at": int(self.clock()) + 3600}
        path = f"/v1/accounts/me/issuers/{issuer_id}/users/{user_id}/sessions"
        return self.seed(path, {**defaults, **fields})

    def add_api_key(self, issuer_id: str, **fields: Any) -> dict[str, Any]:
        """Seed an API key of an issuer (the API has no call that creates one)."""
        defaults = {"name": "seeded key", "org_id": "", "secret": {"prefix": "sk_test"}}
        return self.seed(f"/v1/accounts/me/issuers/{issuer_id}/api-keys", {**defaults, **fields})

    def add_approval(self, issuer_id: str, **fields: Any) -> dict[str, Any]:
        """Seed a pending approval of an issuer (the API has no call that creates one)."""
        return self.seed(f"/v1/accounts/me/issuers/{issuer_id}/approvals", {"action": "login", **fields})

    def get(self, object_path: str) -> dict[str, Any] | None:
        """The stored object at a concrete path (``me`` allowed), or None: for assertions in tests."""
        with self._lock:
            account, collection, key, _ = self._parse_concrete(object_path)
            record = self.store.get(collection, account, key) if key is not None else None
            return record.public() if record is not None else None

    def transport(self) -> httpx.ASGITransport:
        """An httpx transport that sends requests straight to this emulator, with no socket."""
        return httpx.ASGITransport(app=self)

    def client(self, *, api_key: str | None = None, **options: Any) -> AuthPIAdmin:
        """An :class:`AuthPIAdmin` bound to this emulator in process (``options`` go to the constructor)."""
        from ..client import AuthPIAdmin

        if "access_token" not in options:
            options["api_key"] = api_key or self.api_keys[0]
        http = httpx.AsyncClient(transport=self.transport(), base_url=IN_PROCESS_URL)
        return AuthPIAdmin(base_url=IN_PROCESS_URL, http_client=http, **options)

    # -------------------------------------------------------------------------------------- routing

    def _routes(self) -> dict[str, dict[str, RouteSpec]]:
        routes: dict[str, dict[str, RouteSpec]] = {}
        for op in operations(self.document):
            by_verb = routes.setdefault(op.path, {})
            if op.verb not in by_verb:  # the first binding describes the operation
                by_verb[op.verb] = _route_spec(self.document, op)
        return routes

    def _endpoint(self, specs: dict[str, RouteSpec]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            spec = specs["GET" if request.method == "HEAD" else request.method]
            fault = self.faults.pick(request.method, spec.template, request.url.path)
            if fault is not None:
                injected = await self._inject(fault)
                if injected is not None:
                    return injected
            body = await request.body()
            with self._lock:
                return self._respond(spec, request, body)

        return endpoint

    async def _inject(self, fault: Fault) -> Response | None:
        if fault.latency > 0:
            await asyncio.sleep(fault.latency)
        if fault.drop:
            return _DropResponse()
        if fault.malformed:
            return Response(b'{"data": [{"id": ', 200, media_type="application/json")
        if fault.status is not None:
            retry_after = fault.retry_after if isinstance(fault.retry_after, int) else None
            problem = Problem(fault.status, "injected_fault", "Injected by the emulator", retry_after=retry_after)
            response = self._problem_response(problem)
            if fault.retry_after is not None:
                response.headers["retry-after"] = str(fault.retry_after)
            return response
        return None  # latency only: answer normally

    async def _http_exception(self, request: Request, exc: HTTPException) -> Response:
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        description = "No such endpoint" if exc.status_code == 404 else str(exc.detail)
        return self._problem_response(Problem(exc.status_code, error, description))

    def _problem_response(self, problem: Problem) -> JSONResponse:
        return JSONResponse(_error_body(problem, f"req_{self.request_count:06d}"), status_code=problem.status)

    # ----------------------------------------------------------------------------------- dispatching

    def _respond(self, spec: RouteSpec, request: Request, body: bytes) -> Response:
        self.request_count += 1
        try:
            credential = self._authenticate(request)
            params = dict(request.path_params)
            account = self._account(params.get("account_id"), credential)
            key = request.headers.get("idempotency-key") if spec.verb in MUTATIONS else None
            fingerprint = f"{spec.verb} {request.url.path} {hashlib.sha256(body).hexdigest()}"
            if key is not None:
                stored = self._idempotency.get((account, key))
                if stored is not None:
                    if stored.fingerprint != fingerprint:
                        raise Problem(
                            409, "idempotency_key_reused", "This Idempotency-Key was used with another request"
                        )
                    headers = {**stored.headers, "idempotent-replayed": "true"}
                    return Response(stored.body, stored.status, headers=headers, media_type="application/json")
            query = self._query(spec, request)
            payload = self._body(spec, body)
            response = self._execute(spec, request, account, credential, params, query, payload, key)
            if key is not None and 200 <= response.status_code < 300:
                headers = {k: v for k, v in response.headers.items() if k.lower() == "etag"}
                self._idempotency[(account, key)] = _Stored(
                    fingerprint, response.status_code, bytes(response.body), headers
                )
            return response
        except Problem as problem:
            return self._problem_response(problem)
        except Exception as error:  # the emulator answers 500 like a server would, never a traceback
            return self._problem_response(Problem(500, "internal_error", f"Emulator failure: {error!r}"))

    def _authenticate(self, request: Request) -> Credential:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        credential = self._credentials.get(token) if scheme.lower() == "bearer" else None
        if credential is None:
            raise Problem(401, "unauthorized", "Missing or invalid credentials")
        if credential.expires_at is not None and credential.expires_at <= self.clock():
            raise Problem(401, "token_expired", "The access token has expired")
        return credential

    def _account(self, requested: str | None, credential: Credential) -> str:
        if requested in (None, "me", credential.account):
            return credential.account
        if self.store.get("accounts", requested, requested) is None:
            raise Problem(404, "not_found", f"No account {requested}")
        raise Problem(403, "forbidden", "The credential may not act on this account")

    def _query(self, spec: RouteSpec, request: Request) -> dict[str, Any]:
        values: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        for parameter in spec.query:
            name = parameter["name"]
            raw = request.query_params.get(name)
            if raw is None:
                continue
            schema = resolve(self.document, parameter["schema"])
            try:
                value = _QUERY_PARSERS.get(schema.get("type", "string"), str)(raw)
            except (ValueError, KeyError):
                errors.append({"field": name, "code": "invalid_type", "message": f"must be a {schema.get('type')}"})
                continue
            errors += field_errors(self.document, schema, value, name)
            values[name] = value
        if errors:
            raise Problem(400, "invalid_request", "The query is not valid", fields=errors)
        return values

    def _body(self, spec: RouteSpec, body: bytes) -> dict[str, Any]:
        if spec.body_schema is None:
            return {}
        if not body.strip():
            if spec.body_required:
                raise Problem(400, "invalid_request", "A JSON body is required")
            return {}
        try:
            payload = json.loads(body)
        except ValueError:
            raise Problem(400, "invalid_json", "The body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise Problem(400, "invalid_request", "The body must be a JSON object")
        errors = field_errors(self.document, spec.body_schema, payload)
        if errors:
            raise Problem(422, "validation_failed", "The request is not valid", fields=errors)
        return payload

    def _execute(
        self,
        spec: RouteSpec,
        request: Request,
        account: str,
        credential: Credential,
        params: dict[str, str],
        query: dict[str, Any],
        payload: dict[str, Any],
        idempotency_key: str | None,
    ) -> Response:
        parents = {name: (account if name == "account_id" else params[name]) for name in spec.parents}
        self._require_parents(account, parents)
        if spec.action == "list":
            return self._list(spec, account, parents, query)
        if spec.action == "create":
            record = self._insert(account, spec.collection, parents, payload, validate_refs=True, author=credential)
            self._written(request, account, record, "created", idempotency_key, credential)
            return self._object(record, status=201)
        record = self._find(spec, account, parents, params)
        if spec.action == "get":
            return self._object(record)
        self._check_if_match(request, record)
        if spec.action == "update":
            return self._update(spec, request, account, record, payload, idempotency_key, credential)
        if spec.action == "delete":
            self.store.remove(record.kind, account, record.key)
            if spec.collection in PARENT_KIND.values():
                self.store.remove_descendants(account, f"{KINDS[spec.collection].singular}_id", record.key)
            self._written(request, account, record, "deleted", idempotency_key, credential)
            return Response(status_code=204)
        now = int(self.clock())
        outcome, event = ACTIONS[(spec.class_name, spec.method)](ActionContext(self, account, record, payload, now))
        if isinstance(outcome, Record):
            if event is not None:
                self._bump(outcome)
                self._written(request, account, outcome, event, idempotency_key, credential)
            return self._object(outcome)
        if event is not None:
            self._written(request, account, record, event, idempotency_key, credential)
        return JSONResponse({"data": outcome})

    # ------------------------------------------------------------------------------------ operations

    def _object(self, record: Record, status: int = 200) -> JSONResponse:
        return JSONResponse({"data": record.public()}, status_code=status, headers={"ETag": record.etag})

    def _find(self, spec: RouteSpec, account: str, parents: dict[str, str], params: dict[str, str]) -> Record:
        assert spec.item_param is not None
        kind = KINDS[spec.collection]
        # "me" (or the caller's own id) names the caller's account; _account() has checked it
        key = account if spec.collection == "accounts" else params[spec.item_param]
        record = self.store.get(spec.collection, account, kind.key_of(key))
        matches = record is not None and all(
            record.parents.get(name, record.data.get(name)) == value
            for name, value in parents.items()
            if name != "account_id"
        )
        if record is None or not matches or any(record.data.get(p) != params[p] for p in spec.extra_params):
            raise Problem(404, "not_found", f"No {kind.label} {key}")
        return record

    def _require_parents(self, account: str, parents: Mapping[str, str]) -> None:
        """404 unless every parent object in the path exists (and lives where the path says)."""
        seen: dict[str, str] = {}
        for name, value in parents.items():
            if name != "account_id":
                record = self.store.get(PARENT_KIND[name], account, value)
                if record is None or any(record.parents.get(k, v) != v for k, v in seen.items() if k != "account_id"):
                    raise Problem(404, "not_found", f"No {PARENT_KIND[name][:-1]} {value}")
            seen[name] = value

    def _insert(
        self,
        account: str,
        collection: str,
        parents: dict[str, str],
        payload: dict[str, Any],
        *,
        validate_refs: bool = False,
        author: Credential | None = None,
    ) -> Record:
        kind = KINDS[collection]
        now = int(self.clock())
        data: dict[str, Any] = {**kind.defaults, "id": payload.get("id") or self.store.new_id(collection)}
        data.update({name: value for name, value in parents.items()})
        data.update(payload)
        data.setdefault("created_at", now)
        data.setdefault("updated_at", data["created_at"])
        if "status" in data:
            data.setdefault("status_at", now)
        if validate_refs:
            self._check_references(account, parents, payload)
        complete(collection, self.store, data, self.clock(), f"key:{author.account}" if author else "system")
        stored_parents = {k: v for k, v in parents.items() if k not in kind.data_parents}
        key = kind.key_of(data[kind.key_field])
        if self.store.get(collection, account, key) is not None:
            raise Problem(409, "conflict", f"A {kind.label} {key} already exists")
        duplicate = self.store.conflict(collection, account, stored_parents, data, key)
        if duplicate is not None:
            raise Problem(409, "conflict", f"A {kind.label} with this {duplicate} already exists")
        return self.store.add(collection, account, key, data, stored_parents)

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

    def _update(
        self,
        spec: RouteSpec,
        request: Request,
        account: str,
        record: Record,
        payload: dict[str, Any],
        idempotency_key: str | None,
        credential: Credential,
    ) -> Response:
        changed = {**record.data, **payload}
        duplicate = self.store.conflict(record.kind, account, record.parents, changed, record.key)
        if duplicate is not None:
            raise Problem(409, "conflict", f"Another {KINDS[record.kind].singular} has this {duplicate}")
        if "status" in payload and payload["status"] != record.data.get("status"):
            changed["status_at"] = int(self.clock())
        record.data = changed
        self._bump(record)
        self._written(request, account, record, "updated", idempotency_key, credential)
        return self._object(record)

    def _bump(self, record: Record) -> None:
        """A record changed: new version, new ETag, ``updated_at`` now (float where the kind keeps floats)."""
        now = self.clock()
        record.data["updated_at"] = now if isinstance(record.data.get("updated_at"), float) else int(now)
        record.version += 1
        record.touch()

    def _check_if_match(self, request: Request, record: Record) -> None:
        expected = request.headers.get("if-match")
        if expected is not None and expected.strip() != "*" and expected.strip() != record.etag:
            raise Problem(
                412,
                "precondition_failed",
                "The object has changed since it was read",
                current_etag=record.etag,
            )

    def _list(self, spec: RouteSpec, account: str, parents: dict[str, str], query: dict[str, Any]) -> Response:
        limit = query.get("limit", 20)
        after = self._decode_cursor(query.get("cursor"))
        if spec.collection == "accounts":
            candidates = [r for r in self.store.table("accounts", account).values()]
        else:
            scope = {k: v for k, v in parents.items() if k != "account_id"}
            candidates = list(self.store.under(spec.collection, account, scope))
        filters = {k: v for k, v in query.items() if k not in ("limit", "cursor")}
        matching = [r for r in candidates if r.seq > after and self._passes(account, r, filters)]
        page = matching[:limit]
        has_more = len(matching) > limit
        cursor = self._encode_cursor(page[-1].seq) if has_more else None
        return JSONResponse({"data": [r.public() for r in page], "has_more": has_more, "next_cursor": cursor})

    def _passes(self, account: str, record: Record, filters: dict[str, Any]) -> bool:
        data = record.data
        for name, wanted in filters.items():
            if name in ("after", "before"):
                moment = data.get("timestamp", data.get("created_at", 0))
                if (moment <= wanted) if name == "after" else (moment >= wanted):
                    return False
            elif name == "event_types":
                if not any(type_matches(data.get("type", ""), t.strip()) for t in str(wanted).split(",")):
                    return False
            elif name == "has_verifiers":
                has = any(True for _ in self.store.under("verifiers", account, {"agent_id": record.key}))
                if str(has).lower() != str(wanted).lower():
                    return False
            elif name == "mentions_user_id":
                if not any(m.get("mentioned_user_id") == wanted for m in data.get("mentions") or []):
                    return False
            else:
                actual = data.get(name, record.parents.get(name))
                if str(actual).lower() != str(wanted).lower():
                    return False
        return True

    @staticmethod
    def _encode_cursor(seq: int) -> str:
        return base64.urlsafe_b64encode(json.dumps({"after": seq}).encode()).decode().rstrip("=")

    @staticmethod
    def _decode_cursor(cursor: str | None) -> int:
        if cursor is None:
            return 0
        try:
            decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            after = decoded["after"]
            if not isinstance(after, int) or isinstance(after, bool):
                raise ValueError(after)
            return after
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise Problem(
                400,
                "invalid_request",
                "The cursor is not valid",
                fields=[{"field": "cursor", "code": "invalid_value", "message": "not a cursor from this API"}],
            ) from None

    # ---------------------------------------------------------------------------------------- events

    def _written(
        self,
        request: Request,
        account: str,
        record: Record,
        change: str,
        idempotency_key: str | None,
        credential: Credential,
    ) -> None:
        """Log a write and record its event (``change`` is a verb like ``created``, or a full type)."""
        event_type = change if "." in change else f"{KINDS[record.kind].singular}.{change}"
        self.writes.append(WriteLog(request.method, request.url.path, idempotency_key, event_type))
        record_event(
            self.store,
            account,
            record,
            event_type,
            source=request.url.path,
            auth_kind=credential.kind,
            now=self.clock(),
        )

    # --------------------------------------------------------------------------------------- helpers

    def _parse_concrete(self, path: str) -> tuple[str, str, str | None, dict[str, str]]:
        """``/v1/accounts/me/issuers/iss_1/users`` -> (account, "users", None, {"issuer_id": "iss_1", ...})."""
        segments = [s for s in path.split("/") if s]
        if segments[:2] != ["v1", "accounts"] or len(segments) < 3:
            raise ValueError(f"not an account path: {path!r}")
        account = self.account_id if segments[2] == "me" else segments[2]
        parents = {"account_id": account}
        rest = segments[3:]
        if not rest:
            return account, "accounts", account, {}
        for index in range(0, len(rest) - 1, 2):
            collection, key = rest[index], rest[index + 1]
            if index + 2 < len(rest):
                parents[_PARAM_OF[collection]] = key
        collection = rest[-1] if len(rest) % 2 else rest[-2]
        if collection not in KINDS:
            raise ValueError(f"unknown collection {collection!r} in {path!r}")
        return account, collection, None if len(rest) % 2 else rest[-1], parents


def _parse_boolean(text: str) -> bool:
    return {"true": True, "false": False}[text.lower()]


_QUERY_PARSERS: dict[str, Callable[[str], Any]] = {"integer": int, "number": float, "boolean": _parse_boolean}

_PARAM_OF = {collection: param for param, collection in PARENT_KIND.items()}
