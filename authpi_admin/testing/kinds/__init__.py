"""Every kind of object the emulator keeps, and every operation beyond create, read, update, delete and list.

One module per family of the API holds all the emulator knows of its kinds: shape (defaults and derived
fields), unique keys, the path parameter that names one, list filters, event names, and its actions keyed
by the API operation (verb and the end of the path template). The generic machinery (routing, auth,
faults, idempotency, validation, storage, listing) knows no kind by name: it asks this registry.

Where a new operation goes: in the module of its family, as ``OPERATIONS[(verb, path_end)] = action``; a
new kind is a `Kind` in that module's ``KINDS``; a new family is a module added to ``_FAMILIES`` below. See
CONTRIBUTING.md.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from . import accounts, agents, domains, events, issuers, notes, organizations, users, webhooks
from .base import Action, ActionContext, Kind, OperationKey, Outcome
from .events import type_matches

if TYPE_CHECKING:
    from ..records import Record
    from ..store import Store

__all__ = [
    "KINDS",
    "OPERATIONS",
    "PARENT_KIND",
    "Action",
    "ActionContext",
    "Kind",
    "Outcome",
    "action_for",
    "answer_of",
    "shown",
    "type_matches",
]

_FAMILIES: tuple[ModuleType, ...] = (accounts, domains, events, issuers, agents, users, organizations, webhooks, notes)


def _kinds() -> dict[str, Kind]:
    found: dict[str, Kind] = {}
    for family in _FAMILIES:
        for kind in family.KINDS:
            if kind.segment in found:
                raise ValueError(f"the kind {kind.segment!r} is described twice")
            found[kind.segment] = kind
    return found


def _operations() -> dict[OperationKey, Action]:
    found: dict[OperationKey, Action] = {}
    for family in _FAMILIES:
        for key, action in family.OPERATIONS.items():
            if key in found:
                raise ValueError(f"the operation {key} is implemented twice")
            found[key] = action
    return found


KINDS: dict[str, Kind] = _kinds()
"""Each kind by its collection's path segment."""

PARENT_KIND: dict[str, str] = {kind.parent_param: kind.segment for kind in KINDS.values() if kind.parent_param}
"""Path placeholders that name a parent object, and the collection that object lives in."""

OPERATIONS: dict[OperationKey, Action] = _operations()
"""Every action, by ``(verb, end of its path template)``."""


def _fits(template: str, end: str) -> bool:
    """``end`` is the end of ``template`` right after an id (``/domains/{domain}/verify`` fits an issuer's
    or the account's domains, not ``.../sso/domains/{domain}/verify``)."""
    return template.endswith(end) and template[: len(template) - len(end)].endswith("}")


def action_for(verb: str, template: str) -> Action | None:
    """The action implementing ``verb template``: the longest registered end that fits it."""
    fitting = [(len(end), action) for (v, end), action in OPERATIONS.items() if v == verb and _fits(template, end)]
    return max(fitting, key=lambda pair: pair[0])[1] if fitting else None


def shown(store: Store, account: str, record: Record) -> dict[str, Any]:
    """``record`` as answers and lists show it (its kind's view, else its stored fields)."""
    view = KINDS[record.kind].shown
    return view(store, account, record) if view is not None else record.public()


def answer_of(store: Store, account: str, record: Record) -> dict[str, Any]:
    """What a one-object answer about ``record`` holds (for most kinds, the object itself)."""
    instead = KINDS[record.kind].answered_as
    return instead(store, account, record) if instead is not None else shown(store, account, record)
