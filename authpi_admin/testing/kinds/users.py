"""Users and what belongs to one: personal tokens, trusted devices, verifiers and sessions."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..records import Problem
from .base import Action, ActionContext, Kind, OperationKey, Outcome, transition

if TYPE_CHECKING:
    from ..store import Store


def _user(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    """Today's fields, derived from 0.3.0's where a body gave those (``email``, ``display_name``)."""
    if "username" not in data and data.get("email"):
        data.setdefault("username_type", "email")
        data["username"] = data["email"]
    data.setdefault("username_type", "username")
    data.setdefault("username", data["id"])
    profile = {k: data[k] for k in ("display_name", "given_name", "family_name", "phone_number") if k in data}
    data.setdefault("profile", profile)
    data.update(user_id=data["id"], store_id="store_default", region=None)
    data["username_hash"] = hashlib.sha256(str(data["username"]).lower().encode()).hexdigest()


def _token(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("issuer_id", "")
    data.setdefault("user_id", "")
    data.setdefault("jti", store.new_id("tokens"))


KINDS = (
    Kind(
        "users",
        "user",
        "usr",
        parent_param="user_id",
        unique=(("email",), ("username",)),
        defaults={"status": "active"},
        complete=_user,
    ),
    Kind(
        "tokens",
        "personal_token",
        "pat",
        defaults={"status": "active", "type": "personal", "restrictions": {}},
        complete=_token,
        event_family="user.personal-token",
    ),
    Kind(
        "trusted-devices",
        "trusted_device",
        "dev",
        event_family="user.device",
        event_verbs={"created": "trusted", "deleted": "revoked"},
    ),
    Kind("verifiers", "verifier", "ver", defaults={"status": "pending"}, event_family="user.verifier"),
    Kind(
        "sessions",
        "session",
        "ses",
        defaults={"status": "active", "type": "web"},
        event_verbs={"deleted": "terminated"},
    ),
)


def _revoke_trusted_devices(ctx: ActionContext) -> Outcome:
    store = ctx.store
    devices = list(store.under("trusted-devices", ctx.account, {"user_id": ctx.record.key}))
    for device in devices:
        store.remove("trusted-devices", ctx.account, device.key)
    return {"user_id": ctx.record.key, "revoked": len(devices)}, "user.device.revoked"


def _complete_enrollment(ctx: ActionContext) -> Outcome:
    store = ctx.store
    pending = [
        v for v in store.under("verifiers", ctx.account, {"user_id": ctx.record.key}) if v.data["status"] == "pending"
    ]
    wanted = ctx.body.get("verifier_id")
    if wanted is not None:
        pending = [v for v in pending if v.key == wanted]
        if not pending:
            raise Problem(404, "not_found", f"No pending verifier {wanted} for this user")
    for verifier in pending:
        verifier.data.update(status="active", status_at=ctx.now, updated_at=ctx.now)
        verifier.version += 1
        verifier.touch()
    return {"user_id": ctx.record.key, "completed": [v.key for v in pending]}, "user.verifier.updated"


def _revoke_session(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") == "revoked":
        raise Problem(409, "invalid_state", "The session is already revoked")
    ctx.record.data.update(status="revoked", status_at=ctx.now, revoked_at=ctx.now)
    if ctx.body.get("reason") is not None:
        ctx.record.data["revoked_reason"] = ctx.body["reason"]
    return ctx.record, "session.terminated"


OPERATIONS: dict[OperationKey, Action] = {
    ("POST", "/users/{user_id}/trusted-devices/revoke-all"): _revoke_trusted_devices,
    ("POST", "/users/{user_id}/verifiers/complete-enrollment"): _complete_enrollment,
    ("POST", "/sessions/{session_id}/suspend"): transition(
        "status", ("active",), "suspended", "session.updated", reason=True
    ),
    ("POST", "/sessions/{session_id}/reactivate"): transition("status", ("suspended",), "active", "session.updated"),
    ("POST", "/sessions/{session_id}/revoke"): _revoke_session,
    ("POST", "/tokens/{token_id}/revoke"): transition("status", ("active",), "revoked", "user.personal-token.updated"),
}
