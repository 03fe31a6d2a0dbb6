"""An account's domains: added, verified, then assigned to an issuer (and back)."""

from __future__ import annotations

from ..records import Problem
from .base import Action, ActionContext, Kind, OperationKey, Outcome, transition

KINDS = (
    Kind(
        "domains",
        "domain",
        "dom",
        key_field="domain",
        defaults={"status": "pending", "issuer_id": None},
        data_parents=("issuer_id",),
        event_family="account.domain",
        event_verbs={"created": "added", "deleted": "removed"},
    ),
)


def _assign(ctx: ActionContext) -> Outcome:
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
    return ctx.record, "account.domain.assigned"


def _unassign(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("issuer_id") is None:
        raise Problem(409, "invalid_state", "The domain is not assigned to an issuer")
    ctx.record.data["issuer_id"] = None
    return ctx.record, "account.domain.unassigned"


OPERATIONS: dict[OperationKey, Action] = {
    ("POST", "/domains/{domain}/verify"): transition("status", ("pending",), "verified", "account.domain.added"),
    ("POST", "/domains/{domain}/assign"): _assign,
    ("POST", "/domains/{domain}/unassign"): _unassign,
}
