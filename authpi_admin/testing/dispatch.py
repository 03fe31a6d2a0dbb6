"""The emulator's HTTP layer: routing, authentication, faults, idempotency, validation, and errors as answers.

Every request passes the same steps before a handler runs: its route is found, an injected fault may
answer instead, the credential and the account are checked, an ``Idempotency-Key`` may replay an earlier
answer, and the query and body are validated against the document. A `Problem` raised anywhere
becomes the documented error body. Requests arrive as `Incoming`, from a socket or from the in-process transport alike,
and leave as a `Reply`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .._openapi import ApiDocument
from ..errors import RETRYABLE_STATUSES
from .control import CONTROL_PREFIX
from .faults import Fault
from .handlers import Answer, Call, Handlers
from .records import Problem
from .router import Router
from .routes import RouteSpec, place_table, route_order, route_table
from .state import Credential, Divergence, EmulatorState, RequestLog, StoredAnswer, logged_headers
from .validation import field_errors
from .wire import Incoming, Reply, json_reply

__all__ = ["DIVERGENCE_HEADER", "MAX_BODY_BYTES", "Dispatcher", "DroppedConnection"]

# The header on an answer lenient mode gave to a request today's API refuses, naming why (the emulator's own).
DIVERGENCE_HEADER = "authpi-emulator-divergence"
# Why today's API would refuse a request lenient mode accepted (see Divergence).
BEARER_KEY = "an API key sent as a bearer token (today's API takes a key pair as HTTP Basic)"
ACCOUNT_ALIAS = "the account alias 'me' in the path (today's API has none)"
REMOVED_ROUTE = "an issuer-level groups, invitations, members or domains route (today's API answers 404)"
MISSING_BODY_FIELDS = "a body without today's required fields"
MISSING_QUERY_KEYS = "a query without today's required keys"

MUTATIONS = frozenset({"POST", "PATCH", "DELETE", "PUT"})

# The start of every path below the control API's prefix (made once: it is checked on every request).
_UNDER_CONTROL = CONTROL_PREFIX + "/"

# The largest request body the emulator reads (the API documents 1 MiB); larger ones answer 413.
MAX_BODY_BYTES = 1024 * 1024

logger = logging.getLogger("authpi_admin.testing")


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised by the emulator to cut a connection on purpose (a ``drop`` fault).

    Over a socket the client sees the connection close mid-answer; in process it sees this exception,
    which is the same kind of transport error.
    """


# What a cut answer sends before the connection drops: a status and the start of a body.
_CUT = Reply(200, b'{"data": ', (("content-type", "application/json"),), cut=True)


def _error_body(problem: Problem, reference: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": problem.error,
        "error_description": problem.description,
        "reference": reference,
        "retryable": problem.status in RETRYABLE_STATUSES,
    }
    if problem.fields is not None:
        body["fields"] = problem.fields
    if problem.current_etag is not None:
        body["current_etag"] = problem.current_etag
    if problem.retry_after is not None:
        body["retry_after"] = problem.retry_after
    return body


def _reply(answer: Answer) -> Reply:
    if answer.body is None:
        return Reply(answer.status)
    headers = (("etag", answer.etag),) if answer.etag is not None else ()
    return json_reply(answer.body, answer.status, headers)


def _body_within_limit(incoming: Incoming) -> bytes:
    if incoming.body is None:
        raise Problem(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes")
    return incoming.body


def _parse_boolean(text: str) -> bool:
    return {"true": True, "false": False}[text.lower()]


_QUERY_PARSERS: dict[str, Callable[[str], Any]] = {"integer": int, "number": float, "boolean": _parse_boolean}


class Dispatcher:
    """Turns requests into handler calls, with the checks every operation shares."""

    def __init__(self, state: EmulatorState, handlers: Handlers, document: ApiDocument) -> None:
        self.state = state
        self.handlers = handlers
        self.document = document
        self._errors_answered = 0
        routes = route_table(document)
        self.router = Router(dict(sorted(routes.items(), key=lambda item: route_order(item[0]))))
        # where objects live (collections and objects), for set-up by path: the same router, other values
        self.places = Router(dict(sorted(place_table(routes).items(), key=lambda item: route_order(item[0]))))
        # the control API's answers (see control.py); set by the Emulator, which it steers
        self.control: Callable[[Incoming], Awaitable[Reply]] | None = None

    def problem_reply(self, problem: Problem, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
        """The documented error body for ``problem``, with a reference of its own (one per error answered,
        so a log line or a support question can name exactly one)."""
        self._errors_answered += 1
        reference = f"req_{self._errors_answered:06d}"
        return json_reply(_error_body(problem, reference), problem.status, headers)

    async def dispatch(self, incoming: Incoming) -> Reply:
        """The reply to one request: the API's, or the control API's under its prefix."""
        if self.control is not None and (incoming.path == CONTROL_PREFIX or incoming.path.startswith(_UNDER_CONTROL)):
            return await self.control(incoming)
        reply = await self._api_reply(incoming)
        # a bounded deque's append needs no lock (it is atomic in CPython)
        self.state.requests.append(
            RequestLog(
                incoming.method, incoming.path, incoming.query_string, reply.status, logged_headers(incoming.headers)
            )
        )
        return reply

    async def _api_reply(self, incoming: Incoming) -> Reply:
        method = "GET" if incoming.method == "HEAD" else incoming.method
        if incoming.path == "/v1/me":
            specs: dict[str, RouteSpec] | None = None
            allowed: tuple[str, ...] = ("GET",)
        else:
            found = self.router.match(incoming.path)
            if found is None:
                return self.problem_reply(Problem(404, "not_found", "No such endpoint"))
            specs, params = found
            allowed = tuple(specs)
        if method not in allowed:
            allow = ", ".join(sorted({*allowed, "HEAD"} if "GET" in allowed else set(allowed)))
            return self.problem_reply(Problem(405, "method_not_allowed", "Method Not Allowed"), (("allow", allow),))
        if specs is None:
            return self.me(incoming)
        return await self.endpoint(specs[method], params, incoming)

    async def endpoint(self, spec: RouteSpec, params: dict[str, str], incoming: Incoming) -> Reply:
        """One operation's reply: credential, then faults, then the body, then the handler."""
        lenient: list[str] = []  # what strict mode would refuse, accepted here (see Divergence)
        try:
            # the credential first: nothing else (faults, the body) is looked at for a stranger
            with self.state.lock:
                credential = self._authenticate(incoming, lenient)
            fault = self.state.faults.pick(incoming.method, spec.template, incoming.path)
            if fault is not None:
                injected = await self._inject(fault)
                if injected is not None:
                    return injected
            body = _body_within_limit(incoming)
        except Problem as problem:
            return self.problem_reply(problem)
        with self.state.lock:
            reply = self._respond(spec, params, incoming, credential, body, lenient)
            if lenient and reply.status < 400:
                reply = self._diverged(incoming, lenient, reply)
        return _CUT if fault is not None and fault.lose_answer else reply

    def me(self, incoming: Incoming) -> Reply:
        """``GET /v1/me``: who the credential is, and the one account it acts on."""
        lenient: list[str] = []
        try:
            with self.state.lock:
                credential = self._authenticate(incoming, lenient)
                self.state.request_count += 1
        except Problem as problem:
            return self.problem_reply(problem)
        account = credential.account
        identity = {
            "type": "api_key" if credential.kind == "api_key" else "user",
            "key_id": credential.key_id,
            "user_id": None,
            "issuer_id": None,
            "accounts": [{"account_id": account, "org_id": f"org_{account}", "scopes": ["*:**"]}],
            "organizations": [],
        }
        reply = json_reply({"data": identity})
        if lenient:
            with self.state.lock:
                reply = self._diverged(incoming, lenient, reply)
        return reply

    def _diverged(self, incoming: Incoming, reasons: list[str], reply: Reply) -> Reply:
        """Record a request lenient mode accepted that today's API refuses, and say so in a header."""
        self.state.diverged(Divergence(incoming.method, incoming.path, tuple(reasons)))
        return Reply(reply.status, reply.body, (*reply.headers, (DIVERGENCE_HEADER, "; ".join(reasons))), reply.cut)

    async def _inject(self, fault: Fault) -> Reply | None:
        if fault.latency > 0:
            await asyncio.sleep(fault.latency)
        if fault.drop:
            return _CUT
        if fault.lose_answer:
            return None  # answered normally, then cut before the answer (see endpoint)
        if fault.malformed:
            return Reply(200, b'{"data": [{"id": ', (("content-type", "application/json"),))
        if fault.status is not None:
            retry_after = fault.retry_after if isinstance(fault.retry_after, int) else None
            problem = Problem(fault.status, "injected_fault", "Injected by the emulator", retry_after=retry_after)
            headers = (("retry-after", str(fault.retry_after)),) if fault.retry_after is not None else ()
            return self.problem_reply(problem, headers)
        return None  # latency only: answer normally

    def _respond(
        self,
        spec: RouteSpec,
        params: dict[str, str],
        incoming: Incoming,
        credential: Credential,
        body: bytes,
        lenient: list[str],
    ) -> Reply:
        self.state.request_count += 1
        if spec.verb in MUTATIONS:
            self.state.changes += 1  # may have changed the state: a periodic save looks (see snapshot.py)
        try:
            if spec.deprecated:  # the issuer-level routes 1.x removed
                if self.state.strict:
                    raise Problem(404, "not_found", "No such endpoint")
                lenient.append(REMOVED_ROUTE)
            account = self._account(params.get("account_id"), credential, lenient)
            key = incoming.headers.get("idempotency-key") if spec.verb in MUTATIONS else None
            # what a replay must match; only a write with a key can be replayed
            fingerprint = f"{spec.verb} {incoming.path} {hashlib.sha256(body).hexdigest()}" if key is not None else ""
            replayed = self._replay(account, key, fingerprint)
            if replayed is not None:
                return replayed
            payload, read_back = self._body(spec, body, lenient)
            call = Call(
                method=incoming.method,
                path=incoming.path,
                account=account,
                auth_kind=credential.kind,
                params=params,
                query=self._query(spec, incoming, lenient),
                payload=payload,
                read_back=read_back,
                idempotency_key=key,
                if_match=incoming.headers.get("if-match"),
            )
            reply = _reply(self.handlers.handle(spec, call))
            if key is not None and 200 <= reply.status < 300:
                headers = {name: value for name, value in reply.headers if name == "etag"}
                self.state.keep_replay(account, key, StoredAnswer(fingerprint, reply.status, reply.body, headers))
            return reply
        except Problem as problem:
            return self.problem_reply(problem)
        except Exception:  # a 500 like a server's: the details go to the log, never into the answer
            logger.exception("the emulator failed on %s %s", incoming.method, incoming.path)
            return self.problem_reply(Problem(500, "internal_error", "The emulator failed on this request"))

    def _replay(self, account: str, key: str | None, fingerprint: str) -> Reply | None:
        """The stored answer for a repeated ``Idempotency-Key``; 409 when the key came with another request."""
        stored = self.state.idempotency.get((account, key)) if key is not None else None
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise Problem(409, "idempotency_key_reused", "This Idempotency-Key was used with another request")
        headers = (*stored.headers.items(), ("idempotent-replayed", "true"), ("content-type", "application/json"))
        return Reply(stored.status, stored.body, headers)

    def _authenticate(self, incoming: Incoming, lenient: list[str]) -> Credential:
        header = incoming.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        scheme = scheme.lower()
        credential = self.state.credentials.get(f"{scheme} {token}") if scheme in ("bearer", "basic") else None
        if credential is None or (self.state.strict and scheme == "bearer" and credential.kind == "api_key"):
            # today's API takes API keys as HTTP Basic only: strict mode refuses 0.3.0's bearer form
            if scheme == "bearer" and ":" in token:
                raise Problem(
                    401,
                    "unauthorized",
                    "Missing or invalid credentials: this looks like an API key pair sent as a bearer string; "
                    'pass it as a tuple, AuthPIAdmin(api_key=("key_id", "secret")), to send it as HTTP Basic',
                )
            if scheme == "bearer" and (credential is not None or token.startswith("key_")):
                # an API key on its own (0.3.0's form): say which form today's API takes
                raise Problem(
                    401,
                    "unauthorized",
                    "Missing or invalid credentials: today's API takes an API key as its key id and secret, sent "
                    "as HTTP Basic; a string api_key is sent as a bearer token, which only access tokens are. "
                    'Pass AuthPIAdmin(api_key=("key_id", "secret"))',
                )
            raise Problem(401, "unauthorized", "Missing or invalid credentials")
        if credential.expires_at is not None and credential.expires_at <= self.state.clock():
            raise Problem(401, "token_expired", "The access token has expired")
        if scheme == "bearer" and credential.kind == "api_key":
            lenient.append(BEARER_KEY)
        return credential

    def _account(self, requested: str | None, credential: Credential, lenient: list[str]) -> str:
        if requested == "me":
            if self.state.strict:
                raise Problem(404, "not_found", "No account me (today's API has no 'me' alias)")
            lenient.append(ACCOUNT_ALIAS)
        if requested in (None, "me", credential.account):
            return credential.account
        # another tenant's account answers exactly like one that does not exist: a key cannot probe ids
        raise Problem(404, "not_found", f"No account {requested}")

    def _query(self, spec: RouteSpec, incoming: Incoming, lenient: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        missing: list[str] = []
        given = incoming.query() if spec.query and incoming.query_string else {}
        for parameter in spec.query:
            name = parameter.name
            raw = given.get(name)
            if raw is None:
                if parameter.required:  # lenient mode lets 0.3.0's calls without it by
                    missing.append(name)
                continue
            schema = parameter.schema
            try:
                value = _QUERY_PARSERS.get(schema.get("type", "string"), str)(raw)
            except (ValueError, KeyError):
                errors.append({"field": name, "code": "invalid_type", "message": f"must be a {schema.get('type')}"})
                continue
            errors += field_errors(self.document, schema, value, name)
            values[name] = value
        if missing and self.state.strict:
            errors += [{"field": name, "code": "required", "message": "is required"} for name in missing]
        elif missing:
            lenient.append(f"{MISSING_QUERY_KEYS}: {', '.join(missing)}")
        if errors:
            raise Problem(400, "invalid_request", "The query is not valid", fields=errors)
        return values

    def _body(self, spec: RouteSpec, body: bytes, lenient: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The validated body, and (for an update) the fields it names that the body schema does not: an
        object read from the API and sent back as it is carries the fields the API sets. The handler
        accepts those when unchanged and refuses them when changed."""
        if spec.body_schema is None:
            return {}, {}
        if not body.strip():
            if spec.body_required:
                raise Problem(400, "invalid_request", "A JSON body is required")
            return {}, {}
        try:
            payload = json.loads(body)
        except ValueError:
            raise Problem(400, "invalid_json", "The body is not valid JSON") from None
        except RecursionError:
            raise Problem(400, "invalid_json", "The body is nested too deeply") from None
        if not isinstance(payload, dict):
            raise Problem(400, "invalid_request", "The body must be a JSON object")
        schema = self.document.resolve(spec.body_schema)
        read_back: dict[str, Any] = {}
        if spec.action == "update" and schema.get("additionalProperties") is False:
            known = schema.get("properties", {})
            read_back = {name: value for name, value in payload.items() if name not in known}
            payload = {name: value for name, value in payload.items() if name in known}
        try:
            errors = field_errors(self.document, spec.body_schema, payload)
        except RecursionError:
            raise Problem(400, "invalid_request", "The body is nested too deeply") from None
        missing = [name for name in schema.get("x-strict-required", []) if name not in payload]
        if missing and self.state.strict:
            errors += [{"field": name, "code": "required", "message": "is required"} for name in missing]
        elif missing:
            lenient.append(f"{MISSING_BODY_FIELDS}: {', '.join(missing)}")
        if errors:
            raise Problem(422, "validation_failed", "The request is not valid", fields=errors)
        return payload, read_back
