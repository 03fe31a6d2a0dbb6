"""What a new object gets beyond its body and its kind's defaults, for the kinds that need more.

Objects carry the fields today's API answers with (what authpi-admin 1.x parses them into), derived from
0.3.0-style bodies where those were given: a user created from ``email``/``display_name`` also gets
``username_type``, ``username`` and ``profile``, so code of either era reads back what it expects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from .store import Store

__all__ = ["complete"]

Completion = Callable[[Store, dict[str, Any], float, str], None]


def _client(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("confidential", data.get("type") in ("web", "machine"))
    data.setdefault("settings", {})
    if data["confidential"]:
        data.setdefault("secret", f"cs_{store.new_id('clients')[4:]}")


def _webhook(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    auth = data.get("auth") or {}
    data.setdefault("auth_type", auth.get("type", "none") if isinstance(auth, dict) else "none")


# What a note may refer to (NoteRefType); a note's subject is among its references when it is one of these.
_NOTE_REF_TYPES = frozenset({"user", "org", "issuer", "client", "webhook", "api_key"})


def _note(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.update(created_at=now, updated_at=now)  # notes keep fractional timestamps
    data.setdefault("created_by", principal)
    data.setdefault("updated_by", principal)
    data.setdefault("issuer_id", "")
    data.setdefault("mentions", [])
    # The reference does not say how the API finds a note's references; the emulator counts the subject
    # as one, so notes.backlinks(subject_type, subject_id) finds the notes about an object.
    subject = {"ref_type": data.get("subject_type"), "ref_id": data.get("subject_id")}
    own = [{**subject, "ref_issuer_id": data["issuer_id"] or "", "created_at": now}]
    data.setdefault("references", own if subject["ref_type"] in _NOTE_REF_TYPES else [])


def _token(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("issuer_id", "")
    data.setdefault("user_id", "")
    data.setdefault("jti", store.new_id("tokens"))


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


def _user(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    if "username" not in data and data.get("email"):
        data.setdefault("username_type", "email")
        data["username"] = data["email"]
    data.setdefault("username_type", "username")
    data.setdefault("username", data["id"])
    profile = {k: data[k] for k in ("display_name", "given_name", "family_name", "phone_number") if k in data}
    data.setdefault("profile", profile)
    data.update(user_id=data["id"], store_id="store_default", region=None)
    data["username_hash"] = hashlib.sha256(str(data["username"]).lower().encode()).hexdigest()


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


_COMPLETIONS: dict[str, Completion] = {
    "clients": _client,
    "webhooks": _webhook,
    "notes": _note,
    "tokens": _token,
    "issuers": _issuer,
    "users": _user,
    "organizations": _organization,
    "groups": _group,
    "members": _member,
    "invitations": _invitation,
    "api-keys": _api_key,
}


def complete(collection: str, store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    """Fill in what a new object of ``collection`` gets from the server (secrets, derived fields)."""
    completion = _COMPLETIONS.get(collection)
    if completion is not None:
        completion(store, data, now, principal)
