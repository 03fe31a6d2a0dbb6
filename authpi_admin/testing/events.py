"""Events: every write the emulator applies is recorded, and delivered to the webhooks that want it."""

from __future__ import annotations

from .kinds import KINDS, shown, type_matches
from .kinds.webhooks import new_delivery
from .records import Record
from .store import Store

__all__ = ["event_type", "record_event"]


def event_type(collection: str, change: str) -> str:
    """Today's event type: ``change`` when it is one already (an action names it), else the kind's name for
    ``created``, ``updated`` or ``deleted``."""
    return change if "." in change else KINDS[collection].event_type(change)


def record_event(
    store: Store, account: str, record: Record, event_type: str, *, source: str, auth_kind: str, now: float
) -> int:
    """Store the event for a write to ``record``, and one delivery for each active webhook that wants it;
    return how many deliveries that made."""
    singular = KINDS[record.kind].singular
    event_id = store.new_id("events")
    event = {
        "spec": "1.0",
        "id": event_id,
        "type": event_type,
        "source": source,
        "trigger": "api",
        "auth": {"type": auth_kind},
        "subject": {"type": singular, "id": record.key},
        "timestamp": now,
        "data": {"object": shown(store, account, record)},
    }
    # the subject's own id is a parent too, so events can be listed by issuer_id, user_id or client_id
    store.add("events", account, event_id, event, {**record.parents, f"{singular}_id": record.key})
    made = 0
    for webhook in list(store.under("webhooks", account, {})):
        wanted = webhook.data.get("events") or []
        if webhook.data.get("status") == "active" and any(type_matches(event_type, w) for w in wanted):
            new_delivery(store, account, webhook, event, now)
            made += 1
    return made
