"""Webhooks, their deliveries, and redelivery requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Action, Kind, OperationKey

if TYPE_CHECKING:
    from ..store import Store


def _webhook(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    auth = data.get("auth") or {}
    data.setdefault("auth_type", auth.get("type", "none") if isinstance(auth, dict) else "none")


KINDS = (
    Kind(
        "webhooks",
        "webhook",
        "wh",
        parent_param="webhook_id",
        defaults={"status": "active", "description": ""},
        complete=_webhook,
    ),
    Kind("deliveries", "delivery", "dlv"),
    Kind("redeliver", "redelivery", "rdl", event_family="webhook"),
)

OPERATIONS: dict[OperationKey, Action] = {}
