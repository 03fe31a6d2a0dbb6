"""The emulator's control API: set it up, look inside and steer it over HTTP, served or in process alike.

It lives under :data:`CONTROL_PREFIX` (``/_emulator``), beside the API's ``/v1`` paths and never among
them, and answers only a request that carries the emulator's control key as a bearer token (not an API
key: a key for the API cannot reset the emulator). Bodies and answers are JSON; answers are
``{"data": ...}`` and errors the API's own error body. :class:`~.control_client.EmulatorControl` is a small
Python client of it.

=======  ==========================  ===========================================================================
verb     path                        what it does
=======  ==========================  ===========================================================================
GET      /_emulator                  the account, the mode, the clock and how many requests were answered
POST     /_emulator/reset            back to as started: no objects, logs, faults or issued tokens; the clock
                                     running on the real time
POST     /_emulator/seed             store objects of any kind (sessions, approvals, tokens, ...), no event:
                                     ``{"objects": [{"collection": "/v1/accounts/acc/...", "data": {...}}]}``
POST     /_emulator/tokens           a bearer access token: ``{"expires_in": 3600, "account_id": "acc"}``
GET      /_emulator/requests         the latest requests answered (method, path, query, status), oldest first
GET      /_emulator/writes           every write applied, and the event type it recorded
GET      /_emulator/events           every event recorded, oldest first
GET      /_emulator/deliveries       every webhook delivery, with today's fields
POST     /_emulator/deliveries/wait  wait until no delivery is due now: ``{"timeout": 10}``
GET      /_emulator/divergences      what lenient mode accepted that today's API refuses, and why
GET      /_emulator/faults           the fault rules
POST     /_emulator/faults           add one: the fields of :class:`~.faults.Fault`
DELETE   /_emulator/faults           remove every rule
GET      /_emulator/clock            ``{"now": epoch seconds, "frozen": bool}``
POST     /_emulator/clock            ``{"freeze": true}``, ``{"freeze": false}``, ``{"set": epoch}`` and/or
                                     ``{"advance": seconds}`` (in that order)
=======  ==========================  ===========================================================================
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from .faults import Fault
from .records import Problem
from .wire import Incoming, Reply, json_reply

if TYPE_CHECKING:
    from .app import Emulator

__all__ = ["CONTROL_PREFIX", "DEFAULT_CONTROL_KEY", "ControlApi"]

CONTROL_PREFIX = "/_emulator"
"""Where the control API lives: outside ``/v1``, so no path of the API can be taken for it."""

DEFAULT_CONTROL_KEY = "ctl_test"
"""The control key an emulator takes by default (``Authorization: Bearer ctl_test``)."""

_Body = dict[str, Any]
_Operation = Callable[["ControlApi", _Body], Awaitable[Any]]


def _number(body: _Body, name: str, default: float | None = None) -> float | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Problem(400, "invalid_request", f"{name} must be a number of seconds")
    return float(value)


class ControlApi:
    """Answers the control API's requests for one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._operations: dict[tuple[str, str], _Operation] = {
            ("GET", ""): ControlApi.status,
            ("POST", "/reset"): ControlApi.reset,
            ("POST", "/seed"): ControlApi.seed,
            ("POST", "/tokens"): ControlApi.issue_token,
            ("GET", "/requests"): ControlApi.requests,
            ("GET", "/writes"): ControlApi.writes,
            ("GET", "/events"): ControlApi.events,
            ("GET", "/deliveries"): ControlApi.deliveries,
            ("POST", "/deliveries/wait"): ControlApi.wait_for_deliveries,
            ("GET", "/divergences"): ControlApi.divergences,
            ("GET", "/faults"): ControlApi.faults,
            ("POST", "/faults"): ControlApi.add_fault,
            ("DELETE", "/faults"): ControlApi.clear_faults,
            ("GET", "/clock"): ControlApi.clock,
            ("POST", "/clock"): ControlApi.move_clock,
        }

    async def answer(self, incoming: Incoming) -> Reply:
        """The reply to one request under :data:`CONTROL_PREFIX`."""
        problem_reply = self.emulator.dispatcher.problem_reply
        if not self._authorized(incoming.headers.get("authorization", "")):
            return problem_reply(Problem(401, "unauthorized", "The control API needs the emulator's control key"))
        sub_path = incoming.path[len(CONTROL_PREFIX) :].rstrip("/")
        method = "GET" if incoming.method == "HEAD" else incoming.method
        operation = self._operations.get((method, sub_path))
        if operation is None:
            allowed = sorted(verb for verb, path in self._operations if path == sub_path)
            if not allowed:
                return problem_reply(Problem(404, "not_found", "No such control endpoint"))
            problem = Problem(405, "method_not_allowed", "Method Not Allowed")
            return problem_reply(problem, (("allow", ", ".join(allowed)),))
        try:
            result = await operation(self, self._body(incoming))
        except Problem as problem:
            return problem_reply(problem)
        except (ValueError, TypeError) as error:  # a seed or fault the emulator cannot take: say why
            return problem_reply(Problem(400, "invalid_request", str(error)))
        if result is None:
            return Reply(204)
        return json_reply({"data": result}, 201 if method == "POST" and sub_path in ("/seed", "/faults") else 200)

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        expected = self.emulator.control_key
        return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), expected.encode())

    @staticmethod
    def _body(incoming: Incoming) -> _Body:
        if incoming.body is None:
            raise Problem(413, "payload_too_large", "The body is too large")
        if not incoming.body.strip():
            return {}
        try:
            body = json.loads(incoming.body)
        except ValueError:
            raise Problem(400, "invalid_json", "The body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Problem(400, "invalid_request", "The body must be a JSON object")
        return body

    # ------------------------------------------------------------------------------------ operations

    async def status(self, body: _Body) -> Any:
        emulator = self.emulator
        return {
            "account_id": emulator.account_id,
            "strict": emulator.state.strict,
            "now": emulator.clock(),
            "frozen": emulator.clock.frozen,
            "request_count": emulator.request_count,
        }

    async def reset(self, body: _Body) -> Any:
        self.emulator.reset()

    async def seed(self, body: _Body) -> Any:
        objects = body.get("objects")
        if not isinstance(objects, list):
            raise Problem(400, "invalid_request", 'The body must be {"objects": [{"collection": ..., "data": ...}]}')
        return self.emulator.seed_objects(objects)

    async def issue_token(self, body: _Body) -> Any:
        account = body.get("account_id")
        if account is not None and not isinstance(account, str):
            raise Problem(400, "invalid_request", "account_id must be a string")
        expires_in = _number(body, "expires_in", 3600.0)
        token = self.emulator.issue_token(account, expires_in=expires_in if expires_in is not None else 3600.0)
        return {"token": token, "expires_in": expires_in}

    async def requests(self, body: _Body) -> Any:
        return self._logged(self.emulator.state.requests)

    async def writes(self, body: _Body) -> Any:
        return self._logged(self.emulator.writes)

    async def events(self, body: _Body) -> Any:
        return self.emulator.events

    async def deliveries(self, body: _Body) -> Any:
        return self.emulator.deliveries

    async def wait_for_deliveries(self, body: _Body) -> Any:
        timeout = _number(body, "timeout", 10.0)
        settled = await asyncio.to_thread(self.emulator.deliverer.settle, timeout if timeout is not None else 10.0)
        return {"settled": settled}

    async def divergences(self, body: _Body) -> Any:
        return self._logged(self.emulator.divergences)

    def _logged(self, entries: Iterable[Any]) -> list[dict[str, Any]]:
        """A log of the emulator's (its dataclass entries) as JSON objects, read under its lock."""
        with self.emulator.state.lock:
            return [dataclasses.asdict(entry) for entry in entries]

    async def faults(self, body: _Body) -> Any:
        return [dataclasses.asdict(rule) for rule in self.emulator.faults.rules]

    async def add_fault(self, body: _Body) -> Any:
        return dataclasses.asdict(self.emulator.faults.add(Fault(**body)))

    async def clear_faults(self, body: _Body) -> Any:
        self.emulator.faults.clear()

    async def clock(self, body: _Body) -> Any:
        clock = self.emulator.clock
        return {"now": clock(), "frozen": clock.frozen}

    async def move_clock(self, body: _Body) -> Any:
        clock = self.emulator.clock
        unknown = set(body) - {"freeze", "set", "advance"}
        if unknown:
            raise Problem(400, "invalid_request", f"Unknown clock fields: {', '.join(sorted(unknown))}")
        freeze = body.get("freeze")
        if freeze is not None and not isinstance(freeze, bool):
            raise Problem(400, "invalid_request", "freeze must be true or false")
        at, seconds = _number(body, "set"), _number(body, "advance")
        if freeze is True:
            clock.freeze()
        elif freeze is False:
            clock.unfreeze()
        if at is not None:
            clock.set(at)
        if seconds is not None:
            clock.advance(seconds)
        return {"now": clock(), "frozen": clock.frozen}
