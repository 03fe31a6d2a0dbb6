"""The emulator's control API: set it up, look inside and steer it over HTTP, served or in process alike.

It lives under `CONTROL_PREFIX` (``/_emulator``), beside the API's ``/v1`` paths and never among
them, and answers only a request that carries the emulator's control key as a bearer token (not an API
key: a key for the API cannot reset the emulator). Bodies and answers are JSON; answers are ``{"data": ...}`` and errors
the API's own error body. [`EmulatorControl`][authpi_admin.testing.EmulatorControl] is a small
Python client of it.

=======  ==========================  ======  ==============================================================
verb path answer what it does ======= ========================== ======
============================================================== GET /_emulator 200 the account, the mode, the clock and
how many requests were
                                             answered
POST     /_emulator/reset            204     back to as started: no objects, logs, faults or issued tokens;
                                             the clock running on the real time
POST     /_emulator/seed             201     store objects of any kind (sessions, approvals, tokens, ...),
                                             no event: ``{"objects": [{"collection": path, "data": {...}}]}``
POST     /_emulator/tokens           200     a bearer access token: ``{"expires_in": 3600, "account_id": ...}``
GET      /_emulator/requests         200     the latest requests answered (method, path, query, status,
                                             headers with credentials redacted)
GET      /_emulator/writes           200     the latest writes applied, and the event type each recorded
GET /_emulator/events 200 the events recorded, oldest first GET /_emulator/deliveries 200 the webhook deliveries, with
today's fields POST /_emulator/deliveries/wait 200 wait until no delivery is due now: ``{"timeout": 10}``
GET      /_emulator/divergences      200     what lenient mode accepted that today's API refuses, and why
GET /_emulator/faults 200 the fault rules POST /_emulator/faults 201 add one: the fields of
[`Fault`][authpi_admin.testing.Fault] DELETE /_emulator/faults 204 remove every rule GET /_emulator/clock 200 ``{"now":
epoch seconds, "frozen": bool}`` POST /_emulator/clock 200 ``{"freeze": true}``, ``{"freeze": false}``, ``{"set":
epoch}``
                                             and/or ``{"advance": seconds}`` (in that order)
=======  ==========================  ======  ==============================================================

Each operation's body fields are declared in one table (``_FIELDS``): a field it does not take, a wrong type, a
number out of range, ``NaN`` or ``Infinity`` is a 400 that names the field and says what it must be.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from .clock import LATEST_TIME
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

logger = logging.getLogger("authpi_admin.testing")


@dataclasses.dataclass(frozen=True)
class _Field:
    """A field a control operation takes: the JSON types it may have and, for a number, its range."""

    types: tuple[str, ...]  # "integer", "number", "boolean", "string", "array", "null"
    meaning: str  # what it must be, as a person reads it: "a number of seconds from 0 to 300"
    low: float | None = None
    high: float | None = None
    required: bool = False


def _seconds(low: float, high: float, what: str = "seconds") -> _Field:
    return _Field(("number",), f"a number of {what} from {low:g} to {high:g}", low, high)


_DAY = 86_400.0
_FLAG = _Field(("boolean",), "true or false")

# What each control operation takes in its body; anything else is refused, naming it.
_FIELDS: dict[tuple[str, str], dict[str, _Field]] = {
    ("POST", "/seed"): {
        "objects": _Field(("array",), 'a list of {"collection": path, "data": {...}} objects', required=True)
    },
    ("POST", "/tokens"): {
        "expires_in": _seconds(1, 3650 * _DAY),
        "account_id": _Field(("string",), "an account id, as a string"),
    },
    ("POST", "/deliveries/wait"): {"timeout": _seconds(0, 300)},
    ("POST", "/faults"): {
        "route": _Field(("string", "null"), 'a route: "METHOD /v1/...template", a template, or a glob on the path'),
        "status": _Field(("integer",), "an HTTP status code from 100 to 599", 100, 599),
        "retry_after": _Field(("integer", "string"), "whole seconds (0 or more) or an HTTP date", 0, 10 * 365 * _DAY),
        "latency": _seconds(0, 60),
        "drop": _FLAG,
        "lose_answer": _FLAG,
        "malformed": _FLAG,
        "times": _Field(("integer", "null"), "a whole number of requests, 1 or more", 1, 2**31),
        "probability": _Field(("number",), "a number from 0 to 1", 0, 1),
    },
    ("POST", "/clock"): {
        "freeze": _FLAG,
        "set": _seconds(0, LATEST_TIME, "epoch seconds"),
        "advance": _seconds(0, LATEST_TIME, "seconds"),
    },
}

_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "string": lambda value: isinstance(value, str),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
}


def _shown(value: Any) -> str:
    """A value as the refusal quotes it: JSON, cut short."""
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else "a number too large"
    return text if len(text) <= 40 else text[:37] + "..."


def _field_problem(name: str, value: Any, spec: _Field) -> str | None:
    """Why ``value`` cannot be the field ``name``, as a sentence's end; None when it can."""
    typed = any(_JSON_TYPES[kind](value) for kind in spec.types)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if typed and number and spec.low is not None and spec.high is not None:
        typed = math.isfinite(value) and spec.low <= value <= spec.high
    return None if typed else f"{name} must be {spec.meaning}, not {_shown(value)}"


def _checked(body: _Body, fields: dict[str, _Field]) -> _Body:
    """``body`` if every field is one the operation takes, of the right type and range; else a 400 whose
    description says what to change and whose ``fields`` name each one."""
    errors = []
    for name, value in body.items():
        spec = fields.get(name)
        if spec is None:
            message = f"{name} is not a field: it takes {', '.join(fields) or 'no fields'}"
            errors.append({"field": name, "code": "unknown_field", "message": message})
            continue
        problem = _field_problem(name, value, spec)
        if problem is not None:
            errors.append({"field": name, "code": "invalid", "message": problem})
    for name, spec in fields.items():
        if spec.required and name not in body:
            errors.append({"field": name, "code": "required", "message": f"{name} is required: {spec.meaning}"})
    if errors:
        raise Problem(400, "invalid_request", "; ".join(error["message"] for error in errors), fields=errors)
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


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
        """The reply to one request under `CONTROL_PREFIX`."""
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
            result = await operation(self, _checked(self._body(incoming), _FIELDS.get((method, sub_path), {})))
        except Problem as problem:
            return problem_reply(problem)
        except ValueError as error:  # the emulator's own sentence: a seed or fault it cannot take, and why
            return problem_reply(Problem(400, "invalid_request", str(error)))
        except Exception:  # a fault of the emulator's, never of the input: logged, and said without Python text
            logger.exception("the emulator failed on the control request %s %s", incoming.method, incoming.path)
            return problem_reply(Problem(500, "internal_error", "The emulator failed on this control request"))
        if method != "GET":
            with self.emulator.state.lock:
                self.emulator.state.changes += 1
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
            body = json.loads(incoming.body, parse_constant=_refuse_constant)
        except ValueError as error:
            detail = str(error) if "JSON number" in str(error) else "check its quotes, commas and brackets"
            raise Problem(400, "invalid_json", f"The body is not valid JSON: {detail}") from None
        except RecursionError:
            raise Problem(400, "invalid_json", "The body is nested too deeply") from None
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
        return self.emulator.seed_objects(body["objects"])

    async def issue_token(self, body: _Body) -> Any:
        expires_in = float(body.get("expires_in", 3600.0))
        token = self.emulator.issue_token(body.get("account_id"), expires_in=expires_in)
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
        settled = await asyncio.to_thread(self.emulator.deliverer.settle, float(body.get("timeout", 10.0)))
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
        freeze = body.get("freeze")
        if freeze is True:
            clock.freeze()
        elif freeze is False:
            clock.unfreeze()
        if "set" in body:
            clock.set(body["set"])
        if "advance" in body:
            clock.advance(body["advance"])  # past the year 9999 is a ValueError that says so: a 400
        return {"now": clock(), "frozen": clock.frozen}
