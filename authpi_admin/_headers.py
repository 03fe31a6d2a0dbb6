"""The headers a request starts from: the SDK's own, the caller's defaults, and those of a call."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import httpx

from ._validation import check_headers
from .user_agent import build_user_agent

__all__ = ["RESERVED_HEADERS", "allowed_headers", "starting_headers"]

# Headers the SDK owns; callers may not override them through default or per-call headers.
RESERVED_HEADERS = frozenset({"authorization", "host", "user-agent"})


def allowed_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Caller headers, checked, with lower-cased names (so a later layer replaces an earlier one), reserved
    ones dropped, as 0.3.0 dropped them, with a warning saying so (0.3.0 said nothing)."""
    if not headers:
        return {}
    check_headers(headers)
    allowed = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered not in RESERVED_HEADERS:
            allowed[lowered] = value
        else:
            warnings.warn(_ignored(lowered), UserWarning, stacklevel=2)
    return allowed


def _ignored(name: str) -> str:
    """Why the header ``name`` a caller gave is not sent."""
    if name == "authorization":
        return (
            "The Authorization header given is ignored: the SDK sends the credential itself. Pass it as "
            'api_key=("key_id", "secret") or access_token="..." instead'
        )
    return f"The {name!r} header given is ignored: the SDK sets it itself"


def starting_headers(
    http: httpx.AsyncClient, default_headers: Mapping[str, str] | None, *, direct: bool
) -> dict[str, str]:
    """The SDK's headers and the caller's defaults. A client sent through directly (see ``_sending``) skips
    the layer that adds its own default headers (accept-encoding, connection): they go in here, first, as
    httpx would order them, so the wire stays the same."""
    own = {"accept": "application/json", "user-agent": build_user_agent(), **allowed_headers(default_headers)}
    client_defaults = http.headers.items() if direct else ()
    return {name: value for name, value in client_defaults if name not in own} | own
