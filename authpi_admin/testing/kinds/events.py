"""Events: one for every write the emulator applies, listed and filtered by type and time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Action, Kind, OperationKey

if TYPE_CHECKING:
    from ..records import Record
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


KINDS = (Kind("events", "event", "evt", filters={"after": _after, "before": _before, "event_types": _of_types}),)

OPERATIONS: dict[OperationKey, Action] = {}
