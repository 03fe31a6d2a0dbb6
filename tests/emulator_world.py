"""A small, complete emulator state with one object of every kind, for tests that touch every operation."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from authpi_admin.testing import Emulator

ISSUER, USER, USER2, AGENT, WEBHOOK = "iss_w", "usr_w", "usr_w2", "ag_w", "wh_w"
ORG, DOMAIN = "org_w", "w.example.com"

# The id a path placeholder takes in this world; resource_id and verifier_id depend on where they are.
IDS = {
    "account_id": "me",
    "issuer_id": ISSUER,
    "user_id": USER,
    "agent_id": AGENT,
    "webhook_id": WEBHOOK,
    "org_id": ORG,
    "group_id": "grp_w",
    "invitation_id": "inv_w",
    "member_id": "mem_w",
    "client_id": "cli_w",
    "method_id": "am_w",
    "domain": DOMAIN,
    "key_id": "key_w",
    "session_id": "ses_w",
    "event_id": "evt_w",
    "note_id": "note_w",
    "device_id": "dev_w",
    "verifier_id": "ver_w",
    "token_id": "pat_w",
    "delivery_id": "dlv_w",
}
RESOURCE_IDS = {"approvals": "apr_w", "accounts": "me"}
AGENT_VERIFIER = "ver_aw"

# Values for body fields that must name something that exists (or must be new).
BODY_VALUES: dict[str, Any] = {
    "org_id": ORG,
    "user_id": USER2,
    "issuer_id": ISSUER,
    "subject_id": USER,
    "url": "https://hooks.example.com/new",
    "events": ["*"],
    "auth": {"type": "none"},
}

# Values for the query parameters an operation requires.
QUERY_VALUES = {"ref_type": "user", "ref_id": USER, "subject_type": "user", "subject_id": USER}


# State an action needs first (anything else is refused with 409, tested elsewhere).
_PRECONDITIONS: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {
    ("POST", "/api-keys/{key_id}/unblock"): ("api-keys", "key_w", {"status": "blocked"}),
    ("POST", "/sessions/{session_id}/reactivate"): ("sessions", "ses_w", {"status": "suspended"}),
    ("POST", "/domains/{domain}/assign"): ("domains", "w.example.com", {"status": "verified"}),
    ("POST", "/domains/{domain}/unassign"): ("domains", "w.example.com", {"status": "verified", "issuer_id": "iss_w"}),
    ("POST", "/verifiers/{verifier_id}/regenerate"): ("verifiers", "ver_w", {"status": "active"}),
    ("POST", "/verifiers/{verifier_id}/verify"): ("verifiers", "ver_w", {"status": "active"}),
    ("POST", "/deliveries/{delivery_id}/redeliver"): ("deliveries", "dlv_w", {"status": "failed"}),
    ("DELETE", "/sso/domains/{domain}"): ("organizations", "org_w", {"sso": {"domains": ["w.example.com"]}}),
    ("POST", "/sso/domains/{domain}/verify"): ("organizations", "org_w", {"sso": {"domains": ["w.example.com"]}}),
}
# Valid input for operations whose body the document leaves free-form (the emulator's docs list the fields).
_FREE_FORM_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/credits/topups"): {"amount_μusd": 2_000_000, "payment_reference": "pay_1"},
    ("POST", "/tokens/introspect"): {"token": "pat_unknown"},
    ("POST", "/verifiers/{verifier_id}/verify"): {"code": "123456"},
}


def world_id(name: str, collection: str, template: str, account: str = "me") -> str:
    """The id this world has for the placeholder ``name`` of ``template``, an operation on ``collection``."""
    if name == "account_id":
        return account
    if name == "resource_id":
        return RESOURCE_IDS.get(collection, IDS.get(f"{collection.rstrip('s')}_id", ""))
    if name == "verifier_id" and "/agents/" in template:
        return AGENT_VERIFIER
    return IDS[name]


def world_path(template: str, collection: str, account: str = "me") -> str:
    """``template`` with every placeholder filled with this world's id (percent-encoded)."""
    return re.sub(
        r"\{(\w+)\}", lambda found: quote(world_id(found.group(1), collection, template, account), safe=""), template
    )


def _operation_ends(table: dict[tuple[str, str], Any], verb: str, template: str) -> list[Any]:
    return [value for (v, end), value in table.items() if v == verb and template.endswith(end)]


def meet_preconditions(emulator: Emulator, verb: str, template: str) -> None:
    """Put the world in the state the operation ``verb template`` needs first."""
    for collection, key, state in _operation_ends(_PRECONDITIONS, verb, template):
        record = emulator.store.get(collection, emulator.account_id, key)
        assert record is not None
        record.data.update(state)
        record.touch()


def free_form_body(verb: str, template: str) -> dict[str, Any] | None:
    """A valid body for an operation whose body the document leaves free-form, else None."""
    found = _operation_ends(_FREE_FORM_BODIES, verb, template)
    return found[0] if found else None


def build_world(emulator: Emulator | None = None) -> Emulator:
    """Seed one object of every kind (no events, no validation)."""
    emulator = emulator or Emulator()
    iss = f"/v1/accounts/me/issuers/{ISSUER}"
    emulator.seed("/v1/accounts/me/issuers", {"id": ISSUER, "name": "World"})
    emulator.seed(f"{iss}/users", {"id": USER, "email": "w@example.com"})
    emulator.seed(f"{iss}/users", {"id": USER2, "email": "w2@example.com"})
    emulator.seed(f"{iss}/agents", {"id": AGENT, "name": "agent"})
    emulator.seed(f"{iss}/organizations", {"id": ORG, "name": "Org", "sso_enabled": True})
    emulator.seed(f"{iss}/groups", {"id": "grp_w", "org_id": ORG, "name": "group"})
    emulator.seed(f"{iss}/invitations", {"id": "inv_w", "org_id": ORG, "email": "i@example.com"})
    emulator.seed(f"{iss}/members", {"id": "mem_w", "org_id": ORG, "user_id": USER})
    emulator.seed(f"{iss}/clients", {"id": "cli_w", "name": "client", "confidential": True, "settings": {}})
    emulator.seed(f"{iss}/auth-methods", {"id": "am_w", "type": "password"})
    emulator.seed("/v1/accounts/me/domains", {"id": "dom_w", "domain": DOMAIN, "issuer_id": ISSUER})
    emulator.add_api_key(ISSUER, id="key_w")
    emulator.add_session(ISSUER, USER, id="ses_w")
    emulator.add_approval(ISSUER, id="apr_w")
    emulator.seed("/v1/accounts/me/tokens", {"id": "pat_w", "name": "token"})
    emulator.seed("/v1/accounts/me/credits/ledger", {"id": "cle_w", "type": "topup", "amount_μusd": 5_000_000})
    emulator.seed(f"{iss}/organizations/{ORG}/api-keys", {"id": "key_ow", "name": "org key", "restrictions": {}})
    emulator.seed(f"{iss}/users/{USER}/tokens", {"id": "pat_wu", "name": "user token"})
    emulator.seed(f"{iss}/users/{USER}/trusted-devices", {"id": "dev_w", "fingerprint": "fp"})
    emulator.seed(f"{iss}/users/{USER}/verifiers", {"id": "ver_w", "type": "totp"})
    emulator.seed(f"{iss}/agents/{AGENT}/verifiers", {"id": AGENT_VERIFIER, "type": "public_key"})
    emulator.seed(
        "/v1/accounts/me/webhooks",
        {"id": WEBHOOK, "name": "hook", "url": "https://h.example.com", "auth": {"type": "none"}, "events": ["*"]},
    )
    emulator.seed(f"/v1/accounts/me/webhooks/{WEBHOOK}/deliveries", {"id": "dlv_w", "event_type": "user.created"})
    now = emulator.clock()
    emulator.seed(
        "/v1/accounts/me/notes",
        {
            "id": "note_w",
            "issuer_id": ISSUER,
            "subject_type": "user",
            "subject_id": USER,
            "content": "hello",
            "pinned": False,
            "references": [{"ref_type": "user", "ref_id": USER, "ref_issuer_id": ISSUER, "created_at": now}],
            "created_by": "system",
            "updated_by": "system",
            "created_at": now,
            "updated_at": now,
        },
    )
    emulator.seed(
        "/v1/accounts/me/events",
        {"id": "evt_w", "spec": "1.0", "type": "user.created", "source": "/seed", "timestamp": now},
    )
    return emulator


def call_arguments(op: Any, *, today: bool = False) -> list[Any]:
    """The positional arguments that call ``op`` on this world: its ids, a body, the required query keys.

    ``today``: the body also has what today's API requires beyond 0.3.0 (``x-strict-required``), as a
    strict emulator does.
    """
    from .openapi_walk import resolve, sample

    renames = {sdk: canonical for canonical, sdk in op.binding.get("path_params", {}).items()}
    args: list[Any] = [world_id(renames.get(name, name), op.mount.collection, op.path) for name in op.suffix_ids]
    if op.body_schema is not None:
        free_form = free_form_body(op.verb, op.path)
        schema = resolve(op.body_schema)
        if today:
            schema = {**schema, "required": [*schema.get("required", []), *schema.get("x-strict-required", [])]}
        args.append(free_form if free_form is not None else sample(schema, BODY_VALUES))
    args += [QUERY_VALUES[p.name] for p in op.in_("query") if p.required]
    return args
