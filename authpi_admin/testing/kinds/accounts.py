"""Accounts (the tenant itself) and their credit ledger."""

from __future__ import annotations

from .base import Action, Kind, OperationKey

KINDS = (
    Kind("accounts", "account", "acc", parent_param="account_id", root=True),
    Kind("credits", "credit_ledger_entry", "cle", event_family="account.credits"),
)

OPERATIONS: dict[OperationKey, Action] = {}
