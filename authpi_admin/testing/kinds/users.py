"""Users and what belongs to one: personal tokens, trusted devices, verifiers and sessions.

A user's verifier is enrolled in two steps, as today's API does it: its creation answers an enrollment
(``enrollment_id``, ``secret``, ``provisioning_uri``, ``expires_at``), and ``complete_enrollment`` with that
``enrollment_id`` and a code activates it. The emulator has no authenticator: the one code it accepts is
`ACCEPTED_CODE` (``123456``), for enrollment and verification alike.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from ..records import Problem
from .base import Action, ActionContext, Kind, OperationKey, Outcome, transition

if TYPE_CHECKING:
    from ..records import Record
    from ..store import Store

# The one code the emulator accepts for a verifier (enrollment, verification): it has no authenticator.
ACCEPTED_CODE = "123456"
# How long an enrollment may wait for its code.
ENROLLMENT_SECONDS = 600
# How long a device stays trusted when its creation names no expiry.
TRUST_SECONDS = 30 * 24 * 3600


# Profile fields 0.3.0 kept at the top level of a user, and today's API keeps in ``profile``.
_PROFILE_FIELDS = ("display_name", "given_name", "family_name", "phone_number")

_ABSENT = object()


def _one_value(forms: dict[str, Any], held: Any) -> Any:
    """The value of a field a body may name in two forms (``forms``: each form given, by its name): the one
    given; of two that differ, the one that changed from what the object holds (``held``), since an object
    read and sent back carries the other form unchanged. Two forms changed to different values is a 422
    naming both. `_ABSENT` when the body names neither."""
    values = list(forms.values())
    if not values:
        return _ABSENT
    if len(values) == 1 or values[0] == values[1]:
        return values[0]
    changed = [value for value in values if value != held]
    if len(changed) == 1:
        return changed[0]
    first, second = forms
    fields = [
        {"field": name, "code": "conflict", "message": f"changes the same value as {other}, to another value"}
        for name, other in ((first, second), (second, first))
    ]
    raise Problem(422, "validation_failed", "The request is not valid", fields=fields)


def _one_value_each(user: dict[str, Any], held: dict[str, Any], named: dict[str, Any]) -> None:
    """Keep 0.3.0's fields and today's as one value, whatever ``named`` (a body) gave, on ``user`` whose
    fields were ``held`` before: ``email`` and ``username`` for a user known by email, each top-level profile
    field and ``profile``'s. A ``profile`` in the body is merged into the one held, key by key."""
    held_profile: dict[str, Any] = held["profile"] if isinstance(held.get("profile"), dict) else {}
    named_profile: dict[str, Any] = named["profile"] if isinstance(named.get("profile"), dict) else {}
    profile = {**held_profile, **named_profile}
    for name in _PROFILE_FIELDS:
        forms = {f"profile.{name}": named_profile[name]} if name in named_profile else {}
        if name in named:
            forms[name] = named[name]
        value = _one_value(forms, held_profile.get(name, held.get(name)))
        if value is not _ABSENT:
            profile[name] = value
        if name in profile:
            user[name] = profile[name]
    user["profile"] = profile
    if user.get("username_type") == "email":
        value = _one_value({name: named[name] for name in ("username", "email") if name in named}, held.get("username"))
        if value is not _ABSENT:
            user["username"] = user["email"] = value
        elif "email" in user:
            user["username"] = user["email"]
    user["username_hash"] = hashlib.sha256(str(user["username"]).lower().encode()).hexdigest()


def user_fields(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    """Today's user fields, derived from 0.3.0's where a body gave those (``email``, ``display_name``), and
    0.3.0's from today's."""
    if "username" not in data and data.get("email"):
        data.setdefault("username_type", "email")
        data["username"] = data["email"]
    data.setdefault("username_type", "username")
    data.setdefault("username", data["id"])
    data.update(user_id=data["id"], store_id="store_default", region=None)
    _one_value_each(data, {}, data)


def _revise_user(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    user = {**current, **body}
    _one_value_each(user, current, body)
    return user


def _token(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("issuer_id", "")
    data.setdefault("user_id", "")
    data.setdefault("jti", store.new_id("tokens"))
    for name, value in (("description", None), ("tags", []), ("scopes", []), ("audience", None), ("expires_at", None)):
        data.setdefault(name, value)
    # the token's value: shown once, in the answer to its creation; introspection knows the token by it
    data.setdefault("token_plain", f"pat_{secrets.token_urlsafe(24)}")


def _token_shown(store: Store, account: str, record: Record) -> dict[str, Any]:
    shown = record.public()
    shown.pop("token_plain", None)
    return shown


def _token_created(record: Record) -> dict[str, Any]:
    return {"token_plain": record.data["token_plain"]}


def _device(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("fingerprint", data["id"])
    data.setdefault("name", None)
    data.setdefault("user_agent", None)
    data.setdefault("trusted_at", int(now))
    data.setdefault("expires_at", int(now) + TRUST_SECONDS)
    data.setdefault("last_used_at", None)


def _device_created(record: Record) -> dict[str, Any]:
    return {"device_id": record.key, "expires_at": record.data["expires_at"]}


def _verifier(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("name", None)
    data.setdefault("description", None)
    data.setdefault("usage_count", 0)
    data.setdefault("last_used_at", None)
    if data.get("user_id"):  # a user's verifier starts as an enrollment, completed with a code
        data.setdefault("enrollment_id", f"enr_{store.new_id('verifiers')[4:]}")
        data.setdefault("enrollment_secret", base64.b32encode(secrets.token_bytes(20)).decode().rstrip("="))
        data.setdefault("enrollment_expires_at", int(now) + ENROLLMENT_SECONDS)
    else:  # an agent's verifier: a credential secret of its own
        data.setdefault("secret", f"avs_{secrets.token_urlsafe(24)}")


def _verifier_shown(store: Store, account: str, record: Record) -> dict[str, Any]:
    shown = record.public()
    for secret in ("enrollment_secret", "secret"):  # shown once, on creation
        shown.pop(secret, None)
    return shown


def _verifier_created(record: Record) -> dict[str, Any]:
    data = record.data
    if "enrollment_id" not in data:
        return {"secret": data.get("secret")}
    label = f"AuthPI:{data.get('user_id')}"
    return {
        "enrollment_id": data["enrollment_id"],
        "secret": data["enrollment_secret"],
        "provisioning_uri": f"otpauth://totp/{label}?secret={data['enrollment_secret']}&issuer=AuthPI",
        "expires_at": data["enrollment_expires_at"],
    }


KINDS = (
    Kind(
        "users",
        "user",
        "usr",
        parent_param="user_id",
        unique=(("email",), ("username",)),
        defaults={"status": "active"},
        complete=user_fields,
        revise=_revise_user,
    ),
    Kind(
        "tokens",
        "personal_token",
        "pat",
        defaults={"status": "active", "type": "personal", "restrictions": {}},
        complete=_token,
        shown=_token_shown,
        created_extras=_token_created,
        event_family="user.personal-token",
    ),
    Kind(
        "trusted-devices",
        "trusted_device",
        "dev",
        complete=_device,
        created_extras=_device_created,
        event_family="user.device",
        event_verbs={"created": "trusted", "deleted": "revoked"},
    ),
    Kind(
        "verifiers",
        "verifier",
        "ver",
        defaults={"status": "pending"},
        complete=_verifier,
        shown=_verifier_shown,
        created_extras=_verifier_created,
        event_family="user.verifier",
    ),
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
    # today's answer is the count; 0.3.0's {user_id, revoked} stay beside it
    return {"revoked_count": len(devices), "user_id": ctx.record.key, "revoked": len(devices)}, "user.device.revoked"


def _code_refused(code: object) -> dict[str, Any] | None:
    """None for the accepted code, else the answer that says why not."""
    if code is None:
        return {"success": False, "error": "code_required"}
    return None if code == ACCEPTED_CODE else {"success": False, "error": "invalid_code"}


def _complete_enrollment(ctx: ActionContext) -> Outcome:
    """Finish an enrollment (by ``enrollment_id`` or ``verifier_id``) with its ``code``: the verifier becomes
    active. Without either id, every pending verifier of the user, as 0.3.0's call asks; without a code in
    lenient mode only (0.3.0 sent none)."""
    store = ctx.store
    pending = [
        v for v in store.under("verifiers", ctx.account, {"user_id": ctx.record.key}) if v.data["status"] == "pending"
    ]
    by_enrollment, by_id = ctx.body.get("enrollment_id"), ctx.body.get("verifier_id")
    if by_enrollment is not None or by_id is not None:
        pending = [
            v for v in pending if by_id in (None, v.key) and by_enrollment in (None, v.data.get("enrollment_id"))
        ]
        if not pending:
            raise Problem(404, "not_found", f"No pending enrollment {by_enrollment or by_id} for this user")
        if pending[0].data.get("enrollment_expires_at", ctx.now + 1) <= ctx.now:
            return {"success": False, "verifier_id": pending[0].key, "error": "enrollment_expired"}, None
    if "code" in ctx.body or ctx.strict:
        refused = _code_refused(ctx.body.get("code"))
        if refused is not None:
            return refused, None
    for verifier in pending:
        verifier.data.update(status="active", status_at=ctx.now, updated_at=ctx.now)
        verifier.version += 1
        verifier.touch()
    completed = [v.key for v in pending]
    answer = {"success": True, "verifier_id": completed[0] if completed else None, "backup_codes": None}
    return {**answer, "user_id": ctx.record.key, "completed": completed}, "user.verifier.updated"


def _regenerate(ctx: ActionContext) -> Outcome:
    """New backup codes for an active verifier."""
    if ctx.record.data.get("status") != "active":
        raise Problem(409, "invalid_state", "Only an active verifier has backup codes")
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(10)]
    ctx.record.data["backup_codes_remaining"] = len(codes)
    return {"codes": codes}, "user.mfa.backup-codes.regenerated"


def _verify(ctx: ActionContext) -> Outcome:
    """Check a ``code`` with an active verifier (the emulator accepts `ACCEPTED_CODE`)."""
    if ctx.record.data.get("status") != "active":
        raise Problem(409, "invalid_state", "Only an active verifier can verify a code")
    refused = _code_refused(ctx.body.get("code"))
    if refused is not None:
        return refused, "user.mfa.verification.failed"
    ctx.record.data.update(usage_count=int(ctx.record.data.get("usage_count") or 0) + 1, last_used_at=ctx.now)
    return {"success": True, "remaining": None}, "user.mfa.verification.succeeded"


def _introspect(ctx: ActionContext) -> Outcome:
    """Whether ``token`` is a live personal token of this issuer: ``active``, and what it is when it is."""
    token = ctx.body.get("token")
    for record in ctx.store.under("tokens", ctx.account, {}):
        data = record.data
        if token is None or data.get("token_plain") != token or data.get("issuer_id") not in ("", ctx.record.key):
            continue
        expires = data.get("expires_at")
        if data.get("status") == "active" and (expires is None or expires > ctx.now):
            answer = {"active": True, "token_type": "personal", "sub": data.get("user_id"), "jti": data.get("jti")}
            return {**answer, "scope": " ".join(data.get("scopes") or []), "exp": expires}, None
    return {"active": False}, None


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
    ("POST", "/verifiers/{verifier_id}/regenerate"): _regenerate,
    ("POST", "/verifiers/{verifier_id}/verify"): _verify,
    ("POST", "/tokens/introspect"): _introspect,
    ("POST", "/sessions/{session_id}/suspend"): transition(
        "status", ("active",), "suspended", "session.updated", reason=True
    ),
    ("POST", "/sessions/{session_id}/reactivate"): transition("status", ("suspended",), "active", "session.updated"),
    ("POST", "/sessions/{session_id}/revoke"): _revoke_session,
    ("POST", "/tokens/{token_id}/revoke"): transition("status", ("active",), "revoked", "user.personal-token.updated"),
}
