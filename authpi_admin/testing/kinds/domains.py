"""An account's domains: added, verified, then assigned to an issuer (and back).

Today's API answers every domain call with the account (whose ``domains`` lists them); 0.3.0's fields
(``domain``, ``status``, ``issuer_id``) are kept beside today's (``host``, ``verified``, ``assigned_issuer_id``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..records import Problem
from .base import Action, ActionContext, Kind, OperationKey, Outcome

if TYPE_CHECKING:
    from ..records import Record
    from ..store import Store


def domain_shown(record: Record) -> dict[str, Any]:
    """A domain as an account's ``domains`` and the domain list show it (AccountDomain)."""
    data = record.data
    assigned = data.get("issuer_id")
    return {
        **record.public(),
        "host": data["domain"],
        "verified": data.get("status") == "verified",
        "primary": bool(data.get("primary", False)),
        "added_at": data.get("created_at"),
        "assigned_issuer_id": assigned,
        "assigned_at": data.get("assigned_at") if assigned else None,
    }


def _listed(store: Store, account: str, record: Record) -> dict[str, Any]:
    return domain_shown(record)


def _the_account(store: Store, account: str, record: Record) -> dict[str, Any]:
    from . import shown

    owner = store.get("accounts", account, account)
    assert owner is not None  # every stored object lives in an account
    return shown(store, account, owner)


KINDS = (
    Kind(
        "domains",
        "domain",
        "dom",
        key_field="domain",
        defaults={"status": "pending", "issuer_id": None},
        data_parents=("issuer_id",),
        shown=_listed,
        answered_as=_the_account,
        event_family="account.domain",
        event_verbs={"created": "added", "deleted": "removed"},
    ),
)


def _verify(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("status") != "pending":
        raise Problem(409, "invalid_state", f"The domain is already {ctx.record.data.get('status')}")
    ctx.record.data.update(status="verified", status_at=ctx.now, verified_at=ctx.now)
    return ctx.record, "account.domain.added"


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
    ctx.record.data.update(issuer_id=issuer_id, assigned_at=ctx.now)
    return ctx.record, "account.domain.assigned"


def _unassign(ctx: ActionContext) -> Outcome:
    if ctx.record.data.get("issuer_id") is None:
        raise Problem(409, "invalid_state", "The domain is not assigned to an issuer")
    ctx.record.data.update(issuer_id=None, assigned_at=None)
    return ctx.record, "account.domain.unassigned"


OPERATIONS: dict[OperationKey, Action] = {
    ("POST", "/domains/{domain}/verify"): _verify,
    ("POST", "/domains/{domain}/assign"): _assign,
    ("POST", "/domains/{domain}/unassign"): _unassign,
}
