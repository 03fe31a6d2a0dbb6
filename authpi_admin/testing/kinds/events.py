"""Events: one for every write the emulator applies, listed and filtered by type and time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..records import Problem, Record
from .base import Action, ActionContext, Kind, OperationKey, Outcome

if TYPE_CHECKING:
    from ..store import Store


def type_matches(event_type: str, wanted: str) -> bool:
    """``wanted`` is an event type, ``*``, or a family such as ``user.*``."""
    return wanted in ("*", event_type) or (wanted.endswith(".*") and event_type.startswith(wanted[:-1]))


def _moment(record: Record) -> Any:
    return record.data.get("timestamp", record.data.get("created_at", 0))


def _after(store: Store, account: str, record: Record, wanted: Any) -> bool:
    return bool(_moment(record) > wanted)


def _before(store: Store, account: str, record: Record, wanted: Any) -> bool:
    return bool(_moment(record) < wanted)


def _of_types(store: Store, account: str, record: Record, wanted: Any) -> bool:
    return any(type_matches(record.data.get("type", ""), t.strip()) for t in str(wanted).split(","))


_FILTERS = {"after": _after, "before": _before, "event_types": _of_types}

KINDS = (Kind("events", "event", "evt", filters=_FILTERS),)

# Bucket widths of ``interval``, in seconds.
_INTERVALS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}


def _group_key(record: Record, group_by: str) -> Any:
    """The value an event is grouped under: a field of the event (``type``), of its subject, or a parent
    id (``issuer_id``, ``user_id``, ``client_id``)."""
    data = record.data
    if group_by in data:
        return data[group_by]
    return record.parents.get(group_by, (data.get("subject") or {}).get(group_by))


def _aggregate(ctx: ActionContext) -> Outcome:
    """Count the stored events that pass the filters, in buckets of ``interval`` (``minute``, ``hour``,
    ``day``, ``week``; none: one bucket) and by ``group_by`` (a field such as ``type``, or a parent id); with
    ``count_unique`` (a field), each bucket also counts that field's distinct values."""
    query = ctx.query
    interval, group_by, unique = query.get("interval"), query.get("group_by"), query.get("count_unique")
    if interval is not None and interval not in _INTERVALS:
        raise Problem(
            400,
            "invalid_request",
            "The query is not valid",
            fields=[{"field": "interval", "code": "invalid_value", "message": f"one of {', '.join(_INTERVALS)}"}],
        )
    buckets: dict[tuple[Any, Any], dict[str, Any]] = {}
    for event in ctx.store.under("events", ctx.account, {}):
        if not _passes(ctx.store, ctx.account, event, query):
            continue
        start = None
        if interval is not None:
            width = _INTERVALS[interval]
            start = int(_moment(event) // width * width)
        key = _group_key(event, group_by) if group_by is not None else None
        bucket = buckets.setdefault((start, key), {"start": start, "key": key, "count": 0, "_seen": set()})
        bucket["count"] += 1
        if unique is not None:
            bucket["_seen"].add(str(_group_key(event, unique)))
    answer = []
    for bucket in buckets.values():
        seen = bucket.pop("_seen")
        if unique is not None:
            bucket["unique_count"] = len(seen)
        answer.append(bucket)
    answer.sort(key=lambda b: (b["start"] or 0, str(b["key"])))
    return {"interval": interval, "group_by": group_by, "buckets": answer}, None


def _passes(store: Store, account: str, record: Record, query: dict[str, Any]) -> bool:
    for name in ("issuer_id", "user_id", "client_id"):
        if name in query and _group_key(record, name) != query[name]:
            return False
    return all(check(store, account, record, query[name]) for name, check in _FILTERS.items() if name in query)


OPERATIONS: dict[OperationKey, Action] = {
    ("GET", "/events/aggregate"): _aggregate,
}
