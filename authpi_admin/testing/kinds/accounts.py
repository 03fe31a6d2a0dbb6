"""Accounts (the tenant itself) and their credit ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..records import Problem
from .base import Action, ActionContext, Kind, OperationKey, Outcome

if TYPE_CHECKING:
    from ..records import Record
    from ..store import Store


def _account(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    """Today's account: the organization that owns it (an account is an organization of its own kind)."""
    data.setdefault(
        "organization",
        {
            "id": f"org_{data['id']}",
            "issuer_id": "",
            "status": "active",
            "name": data.get("name") or data["id"],
            "description": None,
            "logo_url": None,
            "org_type": "account",
            "created_at": data["created_at"],
        },
    )
    data.setdefault("owner_user_id", None)
    data.setdefault("billing_mode", "prepaid")


def balance(store: Store, account: str) -> int:
    """The account's credit balance: the balance after the latest ledger entry (0 before any)."""
    entries = list(store.under("credits", account, {}))
    return int(entries[-1].data.get("balance_after_μusd", 0)) if entries else 0


def _account_shown(store: Store, account: str, record: Record) -> dict[str, Any]:
    """The account with its domains and its credit balance, as the API shows them."""
    from .domains import domain_shown

    domains = [domain_shown(d) for d in store.under("domains", account, {})]
    left = balance(store, account)
    return {**record.public(), "domains": domains, "balance_μusd": left, "credits_run_out": left <= 0}


def _ledger_entry(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    """A ledger entry knows the balance after it."""
    data.setdefault("type", "adjustment")
    data.setdefault("amount_μusd", 0)
    data.setdefault("balance_after_μusd", balance(store, data.get("account_id", "")) + int(data["amount_μusd"]))


KINDS = (
    Kind("accounts", "account", "acc", parent_param="account_id", root=True, complete=_account, shown=_account_shown),
    Kind("credits", "credit_ledger_entry", "cle", complete=_ledger_entry, event_family="account.credits"),
)


def _top_up(ctx: ActionContext) -> Outcome:
    """Credit the account: a ledger entry of type ``topup`` and a new balance. A ``payment_reference`` seen
    before is not credited twice (``duplicate`` True, the first entry's id)."""
    amount = ctx.body.get("amount_μusd", ctx.body.get("amount"))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise Problem(
            422,
            "validation_failed",
            "The request is not valid",
            fields=[{"field": "amount_μusd", "code": "invalid_value", "message": "must be a positive integer"}],
        )
    reference = ctx.body.get("payment_reference")
    before = balance(ctx.store, ctx.account)
    for earlier in ctx.store.under("credits", ctx.account, {}):
        if reference is not None and earlier.data.get("reference") == reference:
            answer = {"balance_μusd": before, "entry_id": earlier.key}
            return {**answer, "duplicate": True, "payment_reference": reference}, None
    after = before + amount
    entry_id = ctx.store.new_id("credits")
    entry = {
        "id": entry_id,
        "account_id": ctx.account,
        "type": "topup",
        "amount_μusd": amount,
        "balance_after_μusd": after,
        "reference": reference,
        "created_at": ctx.now,
    }
    ctx.store.add("credits", ctx.account, entry_id, entry, {})
    answer = {"balance_μusd": after, "entry_id": entry_id, "duplicate": False, "payment_reference": reference}
    return answer, "account.credits.updated"


OPERATIONS: dict[OperationKey, Action] = {
    ("POST", "/credits/topups"): _top_up,
}
