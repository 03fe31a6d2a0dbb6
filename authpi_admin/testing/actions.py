"""What each custom action (block, verify, suspend, ...) does to the emulator's state.

An action gets the object its path names (or the collection's owner), the request body, and the time;
it changes the object, or raises :class:`Problem` for a transition the API refuses (409), and returns
the payload to answer with and the event type to record (None for reads).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .store import Problem, Record, Store

__all__ = ["ACTIONS", "ActionContext"]


@dataclass
class ActionContext:
    """Everything an action may read or change."""

    store: Store
    account: str
    record: Record
    body: dict[str, Any]
    now: int
    query: dict[str, Any]


Outcome = tuple[Record | dict[str, Any] | list[dict[str, Any]], str | None]
Action = Callable[[ActionContext], Outcome]


def _transition(field: str, allowed: tuple[str, ...], to: str, event: str, *, reason: bool = False) -> Action:
    """An action that moves ``field`` from one of ``allowed`` to ``to``, else answers 409."""

    def act(ctx: ActionContext) -> Outcome:
        current = ctx.record.data.get(field)
        if current not in allowed:
            raise Problem(
                409,
                "invalid_state",
                f"Cannot {event.rsplit('.', 1)[1]} a {ctx.record.kind.rstrip('s')} whose {field} is {current!r}",
            )
        ctx.record.data[field] = to
        ctx.record.data[f"{field}_at"] = ctx.now
        if reason and ctx.body.get("reason") is not None:
            ctx.record.data[f"{field}_reason"] = ctx.body["reason"]
        return ctx.record, event

    return act


def _new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def _rotate_api_key(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") != "active":
        raise Problem(409, "invalid_state", "Only an active API key can be rotated")
    ctx.record.data["secret"] = {"value": _new_secret("sk"), "rotated_at": ctx.now}
    return ctx.record, "api_key.rotated"


def _rotate_client_secret(ctx: ActionContext) -> Outcome:
    if not ctx.record.data.get("confidential"):
        raise Problem(409, "invalid_state", "A public client has no secret to rotate")
    ctx.record.data["secret"] = _new_secret("cs")
    ctx.record.data["secret_rotated_at"] = ctx.now
    return ctx.record, "client.secret_rotated"


def _revoke_session(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") == "revoked":
        raise Problem(409, "invalid_state", "The session is already revoked")
    ctx.record.data.update(status="revoked", status_at=ctx.now, revoked_at=ctx.now)
    if ctx.body.get("reason") is not None:
        ctx.record.data["revoked_reason"] = ctx.body["reason"]
    return ctx.record, "session.revoked"


def _assign_domain(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") != "verified":
        raise Problem(409, "invalid_state", "Verify the domain before assigning it")
    issuer_id = ctx.body["issuer_id"]
    if ctx.store.get("issuers", ctx.account, issuer_id) is None:
        raise Problem(
            422,
            "validation_failed",
            "The request is not valid",
            fields=[{"field": "issuer_id", "code": "not_found", "message": "no such issuer"}],
        )
    ctx.record.data["issuer_id"] = issuer_id
    return ctx.record, "domain.assigned"


def _unassign_domain(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("issuer_id") is None:
        raise Problem(409, "invalid_state", "The domain is not assigned to an issuer")
    ctx.record.data["issuer_id"] = None
    return ctx.record, "domain.unassigned"


def _resend_invitation(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") != "pending":
        raise Problem(409, "invalid_state", "Only a pending invitation can be resent")
    ctx.record.data["sent_count"] = int(ctx.record.data.get("sent_count", 1)) + 1
    ctx.record.data["last_sent_at"] = ctx.now
    return ctx.record, "invitation.resent"


def _add_sso_domain(ctx: ActionContext) -> Outcome:
    sso = dict(ctx.record.data.get("sso") or {})
    domains = list(sso.get("domains", []))
    if ctx.body["domain"].lower() in (d.lower() for d in domains):
        raise Problem(409, "conflict", "The organization already has this SSO domain")
    sso["domains"] = [*domains, ctx.body["domain"]]
    ctx.record.data["sso"] = sso
    return ctx.record, "organization.sso_domain_added"


def _rotate_sso_secret(ctx: ActionContext) -> Outcome:
    if not ctx.record.data.get("sso_enabled"):
        raise Problem(409, "invalid_state", "SSO is not enabled for this organization")
    sso = dict(ctx.record.data.get("sso") or {})
    sso["client_secret"] = _new_secret("sso")
    sso["rotated_at"] = ctx.now
    ctx.record.data["sso"] = sso
    return ctx.record, "organization.sso_secret_rotated"


def _revoke_trusted_devices(ctx: ActionContext) -> Outcome:
    store = ctx.store
    devices = list(store.under("trusted-devices", ctx.account, {"user_id": ctx.record.key}))
    for device in devices:
        store.remove("trusted-devices", ctx.account, device.key)
    return {"user_id": ctx.record.key, "revoked": len(devices)}, "user.trusted_devices_revoked"


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
    return {"user_id": ctx.record.key, "completed": [v.key for v in pending]}, "user.verifiers_enrolled"


def _count_notes(ctx: ActionContext) -> Outcome:
    """How many notes are about ``subject_type``/``subject_id`` (every note of the account when neither is
    given, as 0.3.0's ``count_notes()`` asks)."""
    wanted = {name: ctx.query[name] for name in ("subject_type", "subject_id") if name in ctx.query}
    notes = ctx.store.table("notes", ctx.account).values()
    return {"count": sum(all(n.data.get(k) == v for k, v in wanted.items()) for n in notes)}, None


def _note_backlinks(ctx: ActionContext) -> Outcome:
    """The notes whose ``references`` name ``ref_type``/``ref_id``, most recently updated first: a list, as
    the API answers (0.3.0's ``backlinks_notes()``, which sends neither, gets every note that refers to
    anything)."""
    wanted = {name: ctx.query[name] for name in ("ref_type", "ref_id") if name in ctx.query}
    found = [
        note
        for note in ctx.store.table("notes", ctx.account).values()
        if any(all(ref.get(k) == v for k, v in wanted.items()) for ref in note.data.get("references") or [])
    ]
    found.sort(key=lambda r: r.data["updated_at"], reverse=True)
    return [note.public() for note in found[: ctx.query.get("limit", 20)]], None


ACTIONS: dict[tuple[str, str], Action] = {
    ("ApiKeysResource", "block"): _transition("status", ("active",), "blocked", "api_key.blocked", reason=True),
    ("ApiKeysResource", "unblock"): _transition("status", ("blocked",), "active", "api_key.unblocked"),
    ("ApiKeysResource", "revoke"): _transition(
        "status", ("active", "blocked"), "revoked", "api_key.revoked", reason=True
    ),
    ("ApiKeysResource", "rotate"): _rotate_api_key,
    ("ClientsResource", "rotate_secret"): _rotate_client_secret,
    ("DomainsResource", "verify"): _transition("status", ("pending",), "verified", "domain.verified"),
    ("DomainsResource", "assign"): _assign_domain,
    ("DomainsResource", "unassign"): _unassign_domain,
    ("InvitationsResource", "resend"): _resend_invitation,
    ("InvitationsResource", "revoke"): _transition("status", ("pending",), "revoked", "invitation.revoked"),
    ("OrganizationsResource", "domains_sso"): _add_sso_domain,
    ("OrganizationsResource", "rotate_secret_sso"): _rotate_sso_secret,
    ("SessionsResource", "suspend"): _transition("status", ("active",), "suspended", "session.suspended", reason=True),
    ("SessionsResource", "reactivate"): _transition("status", ("suspended",), "active", "session.reactivated"),
    ("SessionsResource", "revoke"): _revoke_session,
    ("UsersResource", "revoke_all_trusted_devices"): _revoke_trusted_devices,
    ("UsersResource", "complete_enrollment_verifiers"): _complete_enrollment,
    ("AccountsResource", "count_notes"): _count_notes,
    ("AccountsResource", "backlinks_notes"): _note_backlinks,
    # today's API: the same state changes under their new homes
    ("OrganizationInvitationsResource", "resend"): _resend_invitation,
    ("OrganizationInvitationsResource", "revoke"): _transition("status", ("pending",), "revoked", "invitation.revoked"),
    ("AccountTokensResource", "revoke"): _transition("status", ("active",), "revoked", "personal_token.revoked"),
    ("NotesResource", "count"): _count_notes,
    ("TrustedDevicesResource", "revoke_all"): _revoke_trusted_devices,
}
