"""An issuer's agents (their verifiers are the ``verifiers`` kind, in `users`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Action, Kind, OperationKey

if TYPE_CHECKING:
    from ..records import Record
    from ..store import Store


def _has_verifiers(store: Store, account: str, record: Record, wanted: Any) -> bool:
    has = any(True for _ in store.under("verifiers", account, {"agent_id": record.key}))
    return str(has).lower() == str(wanted).lower()


KINDS = (
    Kind(
        "agents",
        "agent",
        "ag",
        parent_param="agent_id",
        defaults={"status": "active"},
        filters={"has_verifiers": _has_verifiers},
    ),
)

OPERATIONS: dict[OperationKey, Action] = {}
