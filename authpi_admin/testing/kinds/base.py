"""The pieces a family module describes its kinds and operations with.

A `Kind` is one collection of the API (``users``, ``api-keys``): its id prefix, the path parameter that
names one of its objects, unique fields, defaults, derived fields, list filters and event names. An operation
beyond create, read, update, delete and list is an `Action` registered under the API operation it
implements: its verb and the end of its path template, e.g. ``("POST", "/api-keys/{key_id}/block")``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..records import Problem, Record

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "UNANNOUNCED",
    "Action",
    "ActionContext",
    "Completion",
    "Extras",
    "Filter",
    "Kind",
    "OperationKey",
    "Outcome",
    "Revision",
    "View",
    "new_secret",
    "transition",
]

Completion = Callable[["Store", dict[str, Any], float, str], None]
"""Fills in what a new object gets from the server: ``(store, data, now, principal)``, ``data`` changed in place."""

Filter = Callable[["Store", str, Record, Any], bool]
"""A list filter of its own: ``(store, account, record, wanted) -> keep``. Others compare a field to the value."""

View = Callable[["Store", str, Record], dict[str, Any]]
"""How an object reads in an answer, where that is more than its stored fields: ``(store, account, record)``."""

Revision = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""An object's fields after an update: ``(current fields, the update's body) -> new fields``."""

Extras = Callable[[Record], dict[str, Any]]
"""Fields only the answer to an object's creation carries (a secret shown once): ``(record) -> fields``."""


@dataclass(frozen=True)
class Kind:
    """How the emulator treats one collection of the API."""

    segment: str  # the collection's path segment: "users", "api-keys"
    singular: str  # "user", "api_key": in messages and event subjects
    prefix: str  # of generated ids: "usr" -> usr_0123...
    parent_param: str | None = None  # the path placeholder that names an object of this kind, if any
    key_field: str = "id"
    unique: tuple[tuple[str, ...], ...] = ()  # field groups unique among siblings
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # parent ids kept as plain fields that may change (a domain is assigned to an issuer and back)
    data_parents: tuple[str, ...] = ()
    # (body field, path parameter): under a path naming that parameter, an object's id is that body field
    # (an organization's members are known by their user's id)
    key_from_body: tuple[str, str] | None = None
    root: bool = False  # the account itself: addressed by the path's account, listed across accounts
    complete: Completion | None = None
    shown: View | None = None  # the object in every answer and list, where more than its stored fields
    answered_as: View | None = None  # what a one-object answer holds instead (a domain call answers the account)
    created_extras: Extras | None = None  # what the answer to a create adds (a token's plain value)
    revise: Revision | None = None  # how an update changes it, where more than the body's fields change
    filters: Mapping[str, Filter] = field(default_factory=dict)
    event_family: str | None = None  # today's event family ("organization.group"); default: singular
    event_verbs: Mapping[str, str] = field(default_factory=dict)  # "created" -> "added", where today's differs

    @property
    def label(self) -> str:
        """The kind's name in messages: ``api key``, ``trusted device``."""
        return self.singular.replace("_", " ")

    def key_of(self, value: object) -> str:
        """The storage key for a key field's value: domain names compare without case."""
        return str(value).lower() if self.key_field == "domain" else str(value)

    def event_type(self, change: str) -> str:
        """Today's event type for ``created``, ``updated`` or ``deleted`` on an object of this kind."""
        return f"{self.event_family or self.singular}.{self.event_verbs.get(change, change)}"


@dataclass
class ActionContext:
    """Everything an action may read or change."""

    store: Store
    account: str
    record: Record  # the object the path names, or the collection's owner (the account, an issuer, ...)
    body: dict[str, Any]
    query: dict[str, Any]
    now: int
    strict: bool = False  # the emulator refuses what today's API refuses
    params: dict[str, str] = field(default_factory=dict)  # the path's parameters, by placeholder name
    # tells the emulator's deliverer that a webhook delivery (account, record) waits for an attempt again
    deliveries_due: Callable[[str, Record], None] = field(default=lambda account, record: None)


Outcome = tuple[Record | dict[str, Any] | list[dict[str, Any]], str | None]
"""What an action answers (a changed record, or a payload) and today's event type to record (None: a read;
`UNANNOUNCED`: a write for which today's API records no event)."""

UNANNOUNCED = ""
"""The event of an action that changes state but has no event type of today's API (a redelivery)."""

Action = Callable[[ActionContext], Outcome]

OperationKey = tuple[str, str]
"""``(verb, end of the path template)``: the API operation an action implements, at every mount it has."""


def transition(field_name: str, allowed: tuple[str, ...], to: str, event: str, *, reason: bool = False) -> Action:
    """An action that moves ``field_name`` from one of ``allowed`` to ``to`` and records ``event`` (today's
    type), else answers 409; with ``reason``, the body's ``reason`` is kept as ``<field>_reason``."""

    def act(ctx: ActionContext) -> Outcome:
        current = ctx.record.data.get(field_name)
        if current not in allowed:
            raise Problem(409, "invalid_state", f"Cannot make a {ctx.record.kind.rstrip('s')} {to}: it is {current!r}")
        ctx.record.data[field_name] = to
        ctx.record.data[f"{field_name}_at"] = ctx.now
        if reason and ctx.body.get("reason") is not None:
            ctx.record.data[f"{field_name}_reason"] = ctx.body["reason"]
        return ctx.record, event

    return act


def new_secret(prefix: str) -> str:
    """A fresh secret that says what it is: ``sk_...``, ``cs_...``."""
    return f"{prefix}_{secrets.token_urlsafe(24)}"
