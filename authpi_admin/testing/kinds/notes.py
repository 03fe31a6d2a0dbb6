"""Notes about objects (users, organizations, ...), their references, backlinks and counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Action, ActionContext, Kind, OperationKey, Outcome

if TYPE_CHECKING:
    from ..records import Record
    from ..store import Store

# What a note may refer to (NoteRefType); a note's subject is among its references when it is one of these.
_NOTE_REF_TYPES = frozenset({"user", "org", "issuer", "client", "webhook", "api_key"})


def _note(store: Store, data: dict[str, Any], now: float, principal: str) -> None:
    data.update(created_at=now, updated_at=now)  # notes keep fractional timestamps
    data.setdefault("created_by", principal)
    data.setdefault("updated_by", principal)
    data.setdefault("issuer_id", "")
    data.setdefault("mentions", [])
    # The reference does not say how the API finds a note's references; the emulator counts the subject
    # as one, so notes.backlinks(subject_type, subject_id) finds the notes about an object.
    subject = {"ref_type": data.get("subject_type"), "ref_id": data.get("subject_id")}
    own = [{**subject, "ref_issuer_id": data["issuer_id"] or "", "created_at": now}]
    data.setdefault("references", own if subject["ref_type"] in _NOTE_REF_TYPES else [])


def _mentions_user(store: Store, account: str, record: Record, wanted: Any) -> bool:
    return any(m.get("mentioned_user_id") == wanted for m in record.data.get("mentions") or [])


KINDS = (
    Kind(
        "notes",
        "note",
        "note",
        defaults={"pinned": False},
        complete=_note,
        filters={"mentions_user_id": _mentions_user},
    ),
)


def _count(ctx: ActionContext) -> Outcome:
    """How many notes are about ``subject_type``/``subject_id`` (every note of the account when neither is
    given, as 0.3.0's ``count_notes()`` asks)."""
    wanted = {name: ctx.query[name] for name in ("subject_type", "subject_id") if name in ctx.query}
    notes = ctx.store.table("notes", ctx.account).values()
    return {"count": sum(all(n.data.get(k) == v for k, v in wanted.items()) for n in notes)}, None


def _backlinks(ctx: ActionContext) -> Outcome:
    """The notes whose ``references`` name ``ref_type``/``ref_id``, most recently updated first: a list, as
    the API answers (0.3.0's ``backlinks_notes()``, which sends neither, gets every note that refers to
    anything)."""
    wanted = {name: ctx.query[name] for name in ("ref_type", "ref_id") if name in ctx.query}
    found = [
        note
        for note in ctx.store.table("notes", ctx.account).values()
        if any(all(ref.get(k) == v for k, v in wanted.items()) for ref in note.data.get("references") or [])
    ]
    found.sort(key=lambda r: r.data["updated_at"], reverse=True)
    return [note.public() for note in found[: ctx.query.get("limit", 20)]], None


OPERATIONS: dict[OperationKey, Action] = {
    ("GET", "/notes/count"): _count,
    ("GET", "/notes/backlinks"): _backlinks,
}
