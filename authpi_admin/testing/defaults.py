"""What a new object gets beyond its body and its kind's defaults, for the kinds that need more."""

from __future__ import annotations

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


def _note(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.update(created_at=now, updated_at=now)  # notes keep fractional timestamps
    data.setdefault("created_by", principal)
    data.setdefault("updated_by", principal)
    data.setdefault("issuer_id", "")


def _token(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.setdefault("issuer_id", "")
    data.setdefault("user_id", "")
    data.setdefault("jti", store.new_id("tokens"))


_COMPLETIONS: dict[str, Completion] = {"clients": _client, "webhooks": _webhook, "notes": _note, "tokens": _token}


def complete(collection: str, store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    """Fill in what a new object of ``collection`` gets from the server (secrets, derived fields)."""
    completion = _COMPLETIONS.get(collection)
    if completion is not None:
        completion(store, data, now, principal)
