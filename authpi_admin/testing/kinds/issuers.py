"""Issuers and what configures one: auth methods, clients and approvals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..records import Problem
from .base import Action, ActionContext, Kind, OperationKey, Outcome, new_secret
from .users import user_fields

if TYPE_CHECKING:
    from ..store import Store


def _issuer(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    derived: dict[str, Any] = {
        "description": None,
        "available_scopes": [],
        "settings": {},
        "metadata": {},
        "access_mode": None,
        "auth_method_count": 0,
        "enabled_login_method_count": 0,
        "enabled_signup_method_count": 0,
        "available_scope_count": 0,
        "branding_configured": False,
        "readiness": "incomplete",
    }
    for name, value in derived.items():
        data.setdefault(name, value)


def _client(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("confidential", data.get("type") in ("web", "machine"))
    data.setdefault("settings", {})
    data.setdefault("scopes", [])
    data.setdefault("protocol", "oidc")
    data.setdefault("application_type", data.get("type", "web"))
    if data["confidential"]:
        data.setdefault("secret", f"cs_{store.new_id('clients')[4:]}")


def _approval(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    """An approval is a user waiting to be let in: it reads as that user (today's list items and ``get``
    are user-shaped), with the action it waits for."""
    user_fields(store, data, now, principal)


KINDS = (
    # today's issuer ids look like i_...
    Kind("issuers", "issuer", "i", parent_param="issuer_id", defaults={"status": "active"}, complete=_issuer),
    Kind(
        "auth-methods",
        "auth_method",
        "am",
        defaults={"enabled": True, "settings": {}},
        event_family="issuer.auth-method",
    ),
    Kind(
        "clients",
        "client",
        "cli",
        defaults={"status": "active", "type": "web", "description": "", "logo_url": ""},
        complete=_client,
    ),
    Kind(
        "approvals",
        "approval",
        "apr",
        defaults={"status": "pending"},
        complete=_approval,
        event_family="user.approval",
    ),
)


def _rotate_client_secret(ctx: ActionContext) -> Outcome:
    if not ctx.record.data.get("confidential"):
        raise Problem(409, "invalid_state", "A public client has no secret to rotate")
    ctx.record.data["secret"] = new_secret("cs")
    ctx.record.data["secret_rotated_at"] = ctx.now
    return ctx.record, "client.secret.rotated"


OPERATIONS: dict[OperationKey, Action] = {
    ("POST", "/clients/{client_id}/secret/rotate"): _rotate_client_secret,
}
