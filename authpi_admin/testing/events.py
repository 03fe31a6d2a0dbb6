"""Events: every write the emulator applies is recorded, and delivered to the webhooks that want it."""

from __future__ import annotations

from .store import KINDS, Record, Store

__all__ = ["event_type", "record_event", "type_matches"]

# The family of today's event types (authpi-admin 1.x's WebhookEventType) for each collection.
_FAMILY = {
    "accounts": "account",
    "api-keys": "api-key",
    "domains": "account.domain",
    "tokens": "user.personal-token",
    "approvals": "user.approval",
    "auth-methods": "issuer.auth-method",
    "groups": "organization.group",
    "invitations": "organization.invitation",
    "members": "organization.membership",
    "trusted-devices": "user.device",
    "verifiers": "user.verifier",
    "credits": "account.credits",
    "redeliver": "webhook",
}
# Where today's name for a change is not "created", "updated" or "deleted".
_VERBS = {
    ("domains", "created"): "added",
    ("domains", "deleted"): "removed",
    ("trusted-devices", "created"): "trusted",
    ("trusted-devices", "deleted"): "revoked",
    ("sessions", "deleted"): "terminated",
}
# The emulator's own names for action events, and today's type for each.
_ACTIONS = {
    "api_key.blocked": "api-key.blocked",
    "api_key.unblocked": "api-key.unblocked",
    "api_key.revoked": "api-key.updated",
    "api_key.rotated": "api-key.updated",
    "client.secret_rotated": "client.secret.rotated",
    "domain.verified": "account.domain.added",
    "domain.assigned": "account.domain.assigned",
    "domain.unassigned": "account.domain.unassigned",
    "invitation.resent": "organization.invitation.created",
    "invitation.revoked": "organization.invitation.deleted",
    "organization.sso_domain_added": "organization.sso.domain-created",
    "organization.sso_secret_rotated": "organization.sso.updated",
    "session.suspended": "session.updated",
    "session.reactivated": "session.updated",
    "session.revoked": "session.terminated",
    "user.trusted_devices_revoked": "user.device.revoked",
    "user.verifiers_enrolled": "user.verifier.updated",
    "personal_token.revoked": "user.personal-token.updated",
}


def event_type(collection: str, change: str) -> str:
    """Today's event type for ``change`` (a verb, or an action's own name) to an object of ``collection``."""
    if "." in change:
        return _ACTIONS.get(change, change)
    family = _FAMILY.get(collection, KINDS[collection].singular)
    return f"{family}.{_VERBS.get((collection, change), change)}"


def type_matches(event_type: str, wanted: str) -> bool:
    """``wanted`` is an event type, ``*``, or a family such as ``user.*``."""
    return wanted in ("*", event_type) or (wanted.endswith(".*") and event_type.startswith(wanted[:-1]))


def record_event(
    store: Store, account: str, record: Record, event_type: str, *, source: str, auth_kind: str, now: float
) -> None:
    """Store the event for a write to ``record``, and one delivery for each active webhook that wants it."""
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
        "data": {"object": record.public()},
    }
    # the subject's own id is a parent too, so events can be listed by issuer_id, user_id or client_id
    store.add("events", account, event_id, event, {**record.parents, f"{singular}_id": record.key})
    for webhook in list(store.under("webhooks", account, {})):
        wanted = webhook.data.get("events") or []
        if webhook.data.get("status") == "active" and any(type_matches(event_type, w) for w in wanted):
            delivery_id = store.new_id("deliveries")
            delivery = {
                "id": delivery_id,
                "webhook_id": webhook.key,
                "event_id": event_id,
                "event_type": event_type,
                "status": "delivered",
                "attempts": 1,
                "response_status": 200,
                "created_at": int(now),
                "timestamp": now,
            }
            store.add("deliveries", account, delivery_id, delivery, {"webhook_id": webhook.key})
