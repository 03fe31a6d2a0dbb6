"""Organizations and what belongs to one: groups, members, invitations, SSO and API keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..records import Problem
from .base import Action, ActionContext, Kind, OperationKey, Outcome, new_secret, transition

if TYPE_CHECKING:
    from ..store import Store


def _organization(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    for name in ("description", "logo_url"):
        data.setdefault(name, None)
    data.setdefault("org_type", "organization")


def _group(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("description", None)
    data.setdefault("scopes", [])


def _member(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("member_id", data.get("user_id", data["id"]))
    data.setdefault("member_type", "user")
    data.setdefault("scopes", [])
    data.setdefault("user_title", None)
    data.setdefault("joined_at", data["created_at"])


def _invitation(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("email_invited", data.get("email"))
    data.setdefault("email", data.get("email_invited"))
    for name in ("user_id_invited", "user_title", "message"):
        data.setdefault(name, None)
    data.setdefault("scopes", [])
    data.setdefault("expires_at", int(now) + 7 * 24 * 3600)


def _api_key(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("issuer_id", "")
    data.setdefault("org_id", "")
    data.setdefault("description", None)
    data.setdefault("expires_at", None)
    plain = f"sk_{store.new_id('api-keys')[4:]}"
    data.setdefault("secret", {"prefix": plain[:7]})
    data.setdefault("secret_plain", plain)
    data.setdefault("secret_hint", plain[-4:])


KINDS = (
    Kind(
        "organizations",
        "organization",
        "org",
        parent_param="org_id",
        unique=(("slug",),),
        defaults={"status": "active"},
        complete=_organization,
    ),
    Kind("groups", "group", "grp", complete=_group, event_family="organization.group"),
    Kind(
        "members",
        "member",
        "mem",
        unique=(("org_id", "user_id"),),
        defaults={"status": "active", "role": "member"},
        complete=_member,
        key_from_body=("user_id", "org_id"),
        event_family="organization.membership",
    ),
    Kind(
        "invitations",
        "invitation",
        "inv",
        defaults={"status": "pending", "sent_count": 1},
        complete=_invitation,
        event_family="organization.invitation",
    ),
    # API keys live under an account, an issuer or an organization
    Kind(
        "api-keys",
        "api_key",
        "key",
        defaults={"status": "active", "type": "secret", "restrictions": {}},
        complete=_api_key,
        event_family="api-key",
    ),
)


def _resend_invitation(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") != "pending":
        raise Problem(409, "invalid_state", "Only a pending invitation can be resent")
    expires_at = ctx.record.data.get("expires_at")
    if isinstance(expires_at, int | float) and expires_at <= ctx.now:  # on the emulator's clock
        raise Problem(409, "invalid_state", "The invitation has expired: create a new one")
    ctx.record.data["sent_count"] = int(ctx.record.data.get("sent_count", 1)) + 1
    ctx.record.data["last_sent_at"] = ctx.now
    return ctx.record, "organization.invitation.created"


def _sso(ctx: ActionContext) -> dict[str, Any]:
    """The organization's SSO settings, copied for a change: ``domains`` (0.3.0 read these names) and each
    domain's verification record under ``verification``."""
    sso = dict(ctx.record.data.get("sso") or {})
    sso["domains"] = list(sso.get("domains", []))
    sso["verification"] = dict(sso.get("verification") or {})
    ctx.record.data["sso"] = sso
    return sso


def _sso_domain(sso: dict[str, Any], domain: str) -> str:
    """The domain as stored (names compare without case); 404 when the organization has no such domain."""
    for known in sso["domains"]:
        if known.lower() == domain.lower():
            return str(known)
    raise Problem(404, "not_found", f"The organization has no SSO domain {domain}")


def _add_sso_domain(ctx: ActionContext) -> Outcome:
    """Add a domain for SSO; it must be proven with the DNS TXT record the answer names, then verified."""
    sso = _sso(ctx)
    domain = ctx.body["domain"]
    if domain.lower() in (d.lower() for d in sso["domains"]):
        raise Problem(409, "conflict", "The organization already has this SSO domain")
    record = {
        "domain": domain,
        "txt_record_name": f"_authpi-verification.{domain}",
        "txt_record_value": f"authpi-verification={new_secret('dv')}",
        "verified": False,
    }
    sso["domains"].append(domain)
    sso["verification"][domain] = record
    return {**record, "org_id": ctx.record.key}, "organization.sso.domain-created"


def _remove_sso_domain(ctx: ActionContext) -> Outcome:
    sso = _sso(ctx)
    domain = _sso_domain(sso, ctx.params["domain"])
    sso["domains"].remove(domain)
    sso["verification"].pop(domain, None)
    return {"domain": domain, "deleted": True}, "organization.sso.domain-deleted"


def _verify_sso_domain(ctx: ActionContext) -> Outcome:
    """The emulator has no DNS to look at: a domain it was asked to verify is verified."""
    sso = _sso(ctx)
    domain = _sso_domain(sso, ctx.params["domain"])
    record = sso["verification"].setdefault(domain, {"domain": domain})
    record.update(verified=True, verified_at=ctx.now)
    return {"verified": True, "domain": domain}, "organization.sso.domain-verified"


def _rotate_sso_secret(ctx: ActionContext) -> Outcome:
    if not ctx.record.data.get("sso_enabled"):
        raise Problem(409, "invalid_state", "SSO is not enabled for this organization")
    sso = _sso(ctx)
    sso["client_secret"] = new_secret("sso")
    sso["rotated_at"] = ctx.now
    return {"secret": sso["client_secret"], "org_id": ctx.record.key}, "organization.sso.updated"


def _rotate_api_key(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") != "active":
        raise Problem(409, "invalid_state", "Only an active API key can be rotated")
    ctx.record.data["secret"] = {"value": new_secret("sk"), "rotated_at": ctx.now}
    return ctx.record, "api-key.updated"


OPERATIONS: dict[OperationKey, Action] = {
    ("POST", "/invitations/{invitation_id}/resend"): _resend_invitation,
    ("POST", "/invitations/{invitation_id}/revoke"): transition(
        "status", ("pending",), "revoked", "organization.invitation.deleted"
    ),
    ("POST", "/organizations/{org_id}/sso/domains"): _add_sso_domain,
    ("DELETE", "/sso/domains/{domain}"): _remove_sso_domain,
    ("POST", "/sso/domains/{domain}/verify"): _verify_sso_domain,
    ("POST", "/organizations/{org_id}/sso/rotate-secret"): _rotate_sso_secret,
    ("POST", "/api-keys/{key_id}/block"): transition("status", ("active",), "blocked", "api-key.blocked", reason=True),
    ("POST", "/api-keys/{key_id}/unblock"): transition("status", ("blocked",), "active", "api-key.unblocked"),
    ("POST", "/api-keys/{key_id}/revoke"): transition(
        "status", ("active", "blocked"), "revoked", "api-key.updated", reason=True
    ),
    ("POST", "/api-keys/{key_id}/rotate"): _rotate_api_key,
}
