"""List calls of the emulator: filters, cursor pages and the cursors themselves."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

from .kinds import KINDS, shown
from .records import Problem, Record
from .store import Store

__all__ = ["decode_cursor", "encode_cursor", "page_of"]


def encode_cursor(seq: int) -> str:
    """An opaque cursor: the sequence number of the last item of the page."""
    return base64.urlsafe_b64encode(json.dumps({"after": seq}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The sequence number a cursor names (0 for none); 400 for anything this API did not hand out."""
    if cursor is None:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = decoded["after"]
        if not isinstance(after, int) or isinstance(after, bool):
            raise ValueError(after)
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise Problem(
            400,
            "invalid_request",
            "The cursor is not valid",
            fields=[{"field": "cursor", "code": "invalid_value", "message": "not a cursor from this API"}],
        ) from None


def passes(store: Store, account: str, record: Record, filters: dict[str, Any]) -> bool:
    """True when ``record`` matches every list filter of the query: a kind's own filter where it has one,
    else the field (or parent id) of that name compared without case."""
    own = KINDS[record.kind].filters
    for name, wanted in filters.items():
        check = own.get(name)
        if check is not None:
            if not check(store, account, record, wanted):
                return False
        elif str(record.data.get(name, record.parents.get(name))).lower() != str(wanted).lower():
            return False
    return True


def page_of(store: Store, account: str, candidates: Iterable[Record], query: dict[str, Any]) -> dict[str, Any]:
    """The list body for ``query`` (``limit`` and filters) over ``candidates``: records in creation order
    that come after the cursor. Only as many are looked at as the page needs (one more tells ``has_more``)."""
    limit = query.get("limit", 20)
    filters = {k: v for k, v in query.items() if k not in ("limit", "cursor")}
    page: list[Record] = []
    has_more = False
    for record in candidates:
        if passes(store, account, record, filters):
            if len(page) == limit:
                has_more = True
                break
            page.append(record)
    cursor = encode_cursor(page[-1].seq) if has_more else None
    return {"data": [shown(store, account, r) for r in page], "has_more": has_more, "next_cursor": cursor}
