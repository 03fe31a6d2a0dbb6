"""Webhooks, their deliveries, and redelivery requests.

A delivery is recorded for every event an active webhook subscribes to, with today's fields: ``pending``,
its first attempt due now. The emulator's deliverer (`deliveries`) sends it; a redelivery queues one
more attempt of a delivery that ended (``succeeded`` or ``failed``) the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..records import Problem
from .base import UNANNOUNCED, Action, ActionContext, Kind, OperationKey, Outcome

if TYPE_CHECKING:
    from ..records import Record
    from ..store import Store

# How many attempts a delivery may take before it fails for good.
ATTEMPT_BUDGET = 5


def _webhook(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    auth = data.get("auth") or {}
    data.setdefault("auth_type", auth.get("type", "none") if isinstance(auth, dict) else "none")
    data.setdefault("status_reason", None)
    data.setdefault("status_by", None)


def _delivery(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    """Today's delivery fields: no attempt made yet, the first one due now."""
    data.setdefault("status", "pending")
    data.setdefault("attempt_count", 0)
    data.setdefault("first_attempted_at", None)
    data.setdefault("last_attempted_at", None)
    data.setdefault("next_attempt_at", int(now))
    data.setdefault("retry_workflow_id", None)
    data.setdefault("attempt_budget", ATTEMPT_BUDGET)
    data.setdefault("last_error", None)
    data.setdefault("last_response_status", None)
    data.setdefault("event_id", "")
    data.setdefault("event_type", "")


KINDS = (
    Kind(
        "webhooks",
        "webhook",
        "wh",
        parent_param="webhook_id",
        defaults={"status": "active", "description": ""},
        complete=_webhook,
    ),
    Kind("deliveries", "delivery", "dlv", complete=_delivery),
    Kind("redeliver", "redelivery", "rdl", event_family="webhook"),
)


def new_delivery(store: Store, account: str, webhook: Record, event: dict[str, Any], now: float) -> Record:
    """The delivery of ``event`` to ``webhook``: stored, due now."""
    delivery_id = store.new_id("deliveries")
    data: dict[str, Any] = {
        "id": delivery_id,
        "webhook_id": webhook.key,
        "event_id": event["id"],
        "event_type": event["type"],
        "created_at": int(now),
        "updated_at": int(now),
        "timestamp": now,
    }
    _delivery(store, data, now, "system")
    return store.add("deliveries", account, delivery_id, data, {"webhook_id": webhook.key})


def _queue_again(delivery: Record, now: int) -> None:
    """Queue one more attempt of ``delivery`` now, with room for it in its budget."""
    data = delivery.data
    data.update(status="pending", next_attempt_at=now, updated_at=now)
    data["attempt_budget"] = max(int(data.get("attempt_budget") or 0), int(data.get("attempt_count") or 0) + 1)


def _redeliver(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") == "pending":
        raise Problem(409, "invalid_state", "The delivery is already waiting for an attempt")
    _queue_again(ctx.record, ctx.now)
    ctx.deliveries_due(ctx.account, ctx.record)
    ctx.record.version += 1
    ctx.record.touch()
    return {**ctx.record.public(), "success": True}, UNANNOUNCED


def _redeliver_many(ctx: ActionContext) -> Outcome:
    """Queue a new attempt of the webhook's deliveries named in ``delivery_ids`` (or of those for the events
    in ``event_ids``), else of every one that failed."""
    named, events = ctx.body.get("delivery_ids"), ctx.body.get("event_ids")
    chosen = []
    for delivery in ctx.store.under("deliveries", ctx.account, {"webhook_id": ctx.record.key}):
        data = delivery.data
        if named is not None or events is not None:
            wanted = (named is not None and delivery.key in named) or (
                events is not None and data["event_id"] in events
            )
        else:
            wanted = data.get("status") == "failed"
        if wanted and data.get("status") != "pending":
            chosen.append(delivery)
    for delivery in chosen:
        _queue_again(delivery, ctx.now)
        ctx.deliveries_due(ctx.account, delivery)
    answer = {"webhook_id": ctx.record.key, "redelivered": len(chosen), "delivery_ids": [d.key for d in chosen]}
    return answer, UNANNOUNCED


OPERATIONS: dict[OperationKey, Action] = {
    ("POST", "/deliveries/{delivery_id}/redeliver"): _redeliver,
    ("POST", "/webhooks/{webhook_id}/redeliver"): _redeliver_many,
}
