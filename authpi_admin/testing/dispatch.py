"""The emulator's HTTP layer: routing, authentication, faults, idempotency, validation, and errors as answers.

Every request passes the same steps before a handler runs: its route is found, an injected fault may
answer instead, the credential and the account are checked, an ``Idempotency-Key`` may replay an earlier
answer, and the query and body are validated against the document. A :class:`Problem` raised anywhere
becomes the documented error body.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .._openapi import ApiDocument
from ..errors import RETRYABLE_STATUSES
from .faults import Fault
from .handlers import Answer, Call, Handlers
from .routes import RouteSpec, route_order, route_table
from .state import Credential, EmulatorState, StoredAnswer
from .store import Problem
from .validation import field_errors

__all__ = ["DroppedConnection", "build_app"]

MUTATIONS = frozenset({"POST", "PATCH", "DELETE", "PUT"})

# The largest request body the emulator reads (the API documents 1 MiB); larger ones answer 413.
MAX_BODY_BYTES = 1024 * 1024

logger = logging.getLogger("authpi_admin.testing")


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised by the emulator to cut a connection on purpose (a ``drop`` fault).

    Over a socket the client sees the connection close mid-answer; in process (``httpx.ASGITransport``)
    it sees this exception, which is the same kind of transport error.
    """


class _DropResponse(Response):
    """Starts an answer, then cuts the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"data": ', "more_body": True})
        raise DroppedConnection("the emulator dropped the connection (injected fault)")


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


def _response(answer: Answer) -> Response:
    if answer.body is None:
        return Response(status_code=answer.status)
    headers = {"ETag": answer.etag} if answer.etag is not None else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def _read_limited(request: Request) -> bytes:
    """The request body; 413 past :data:`MAX_BODY_BYTES`, found without reading more than that."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Problem(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Problem(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_boolean(text: str) -> bool:
    return {"true": True, "false": False}[text.lower()]


_QUERY_PARSERS: dict[str, Callable[[str], Any]] = {"integer": int, "number": float, "boolean": _parse_boolean}


class Dispatcher:
    """Turns HTTP requests into handler calls, with the checks every operation shares."""

    def __init__(self, state: EmulatorState, handlers: Handlers, document: ApiDocument) -> None:
        self.state = state
        self.handlers = handlers
        self.document = document

    def problem_response(self, problem: Problem) -> JSONResponse:
        reference = f"req_{self.state.request_count:06d}"
        return JSONResponse(_error_body(problem, reference), status_code=problem.status)

    def endpoint(self, specs: dict[str, RouteSpec]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            spec = specs["GET" if request.method == "HEAD" else request.method]
            try:
                # the credential first: nothing else (faults, the body) is looked at for a stranger
                with self.state.lock:
                    credential = self._authenticate(request)
                fault = self.state.faults.pick(request.method, spec.template, request.url.path)
                if fault is not None:
                    injected = await self._inject(fault)
                    if injected is not None:
                        return injected
                body = await _read_limited(request)
            except Problem as problem:
                return self.problem_response(problem)
            with self.state.lock:
                response = self._respond(spec, request, credential, body)
            return _DropResponse() if fault is not None and fault.lose_answer else response

        return endpoint

    async def me(self, request: Request) -> Response:
        """``GET /v1/me``: who the credential is, and the one account it acts on."""
        try:
            with self.state.lock:
                credential = self._authenticate(request)
                self.state.request_count += 1
        except Problem as problem:
            return self.problem_response(problem)
        account = credential.account
        identity = {
            "type": "api_key" if credential.kind == "api_key" else "user",
            "key_id": credential.key_id,
            "user_id": None,
            "issuer_id": None,
            "accounts": [{"account_id": account, "org_id": f"org_{account}", "scopes": ["*:**"]}],
            "organizations": [],
        }
        return JSONResponse({"data": identity})

    async def http_exception(self, request: Request, exc: HTTPException) -> Response:
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        description = "No such endpoint" if exc.status_code == 404 else str(exc.detail)
        return self.problem_response(Problem(exc.status_code, error, description))

    async def _inject(self, fault: Fault) -> Response | None:
        if fault.latency > 0:
            await asyncio.sleep(fault.latency)
        if fault.drop:
            return _DropResponse()
        if fault.lose_answer:
            return None  # answered normally, then cut before the answer (see endpoint)
        if fault.malformed:
            return Response(b'{"data": [{"id": ', 200, media_type="application/json")
        if fault.status is not None:
            retry_after = fault.retry_after if isinstance(fault.retry_after, int) else None
            problem = Problem(fault.status, "injected_fault", "Injected by the emulator", retry_after=retry_after)
            response = self.problem_response(problem)
            if fault.retry_after is not None:
                response.headers["retry-after"] = str(fault.retry_after)
            return response
        return None  # latency only: answer normally

    def _respond(self, spec: RouteSpec, request: Request, credential: Credential, body: bytes) -> Response:
        self.state.request_count += 1
        try:
            if spec.deprecated and self.state.strict:
                raise Problem(404, "not_found", "No such endpoint")  # the issuer-level routes 1.x removed
            params = dict(request.path_params)
            account = self._account(params.get("account_id"), credential)
            key = request.headers.get("idempotency-key") if spec.verb in MUTATIONS else None
            fingerprint = f"{spec.verb} {request.url.path} {hashlib.sha256(body).hexdigest()}"
            replayed = self._replay(account, key, fingerprint)
            if replayed is not None:
                return replayed
            call = Call(
                method=request.method,
                path=request.url.path,
                account=account,
                auth_kind=credential.kind,
                params=params,
                query=self._query(spec, request),
                payload=self._body(spec, body),
                idempotency_key=key,
                if_match=request.headers.get("if-match"),
            )
            response = _response(self.handlers.handle(spec, call))
            if key is not None and 200 <= response.status_code < 300:
                headers = {k: v for k, v in response.headers.items() if k.lower() == "etag"}
                stored = StoredAnswer(fingerprint, response.status_code, bytes(response.body), headers)
                self.state.idempotency[(account, key)] = stored
            return response
        except Problem as problem:
            return self.problem_response(problem)
        except Exception:  # a 500 like a server's: the details go to the log, never into the answer
            logger.exception("the emulator failed on %s %s", request.method, request.url.path)
            return self.problem_response(Problem(500, "internal_error", "The emulator failed on this request"))

    def _replay(self, account: str, key: str | None, fingerprint: str) -> Response | None:
        """The stored answer for a repeated ``Idempotency-Key``; 409 when the key came with another request."""
        stored = self.state.idempotency.get((account, key)) if key is not None else None
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise Problem(409, "idempotency_key_reused", "This Idempotency-Key was used with another request")
        headers = {**stored.headers, "idempotent-replayed": "true"}
        return Response(stored.body, stored.status, headers=headers, media_type="application/json")

    def _authenticate(self, request: Request) -> Credential:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        scheme = scheme.lower()
        credential = self.state.credentials.get(f"{scheme} {token}") if scheme in ("bearer", "basic") else None
        if credential is None or (self.state.strict and scheme == "bearer" and credential.kind == "api_key"):
            # today's API takes API keys as HTTP Basic only: strict mode refuses 0.3.0's bearer form
            raise Problem(401, "unauthorized", "Missing or invalid credentials")
        if credential.expires_at is not None and credential.expires_at <= self.state.clock():
            raise Problem(401, "token_expired", "The access token has expired")
        return credential

    def _account(self, requested: str | None, credential: Credential) -> str:
        if requested == "me" and self.state.strict:
            raise Problem(404, "not_found", "No account me (today's API has no 'me' alias)")
        if requested in (None, "me", credential.account):
            return credential.account
        # another tenant's account answers exactly like one that does not exist: a key cannot probe ids
        raise Problem(404, "not_found", f"No account {requested}")

    def _query(self, spec: RouteSpec, request: Request) -> dict[str, Any]:
        values: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        for parameter in spec.query:
            name = parameter.name
            raw = request.query_params.get(name)
            if raw is None:
                continue
            schema = parameter.schema
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
        except RecursionError:
            raise Problem(400, "invalid_json", "The body is nested too deeply") from None
        if not isinstance(payload, dict):
            raise Problem(400, "invalid_request", "The body must be a JSON object")
        try:
            errors = field_errors(self.document, spec.body_schema, payload)
        except RecursionError:
            raise Problem(400, "invalid_request", "The body is nested too deeply") from None
        if self.state.strict:
            required = self.document.resolve(spec.body_schema).get("x-strict-required", [])
            errors += [
                {"field": name, "code": "required", "message": "is required"}
                for name in required
                if name not in payload
            ]
        if errors:
            raise Problem(422, "validation_failed", "The request is not valid", fields=errors)
        return payload


def build_app(state: EmulatorState, handlers: Handlers, document: ApiDocument) -> Starlette:
    """The Starlette app serving every operation of ``document`` over ``state``."""
    dispatcher = Dispatcher(state, handlers, document)
    routes = route_table(document)
    return Starlette(
        routes=[
            Route("/v1/me", dispatcher.me, methods=["GET"]),
            *(
                Route(path, dispatcher.endpoint(specs), methods=list(specs))
                for path, specs in sorted(routes.items(), key=lambda item: route_order(item[0]))
            ),
        ],
        exception_handlers={HTTPException: dispatcher.http_exception},  # type: ignore[dict-item]
    )
