"""The emulator's in-memory state: records of every kind, per account, with versions and ETags."""

from __future__ import annotations

import bisect
import hashlib
import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "PARENT_KIND", "Kind", "Problem", "Record", "Store"]


@dataclass
class Problem(Exception):
    """An API error answer: raised anywhere in a handler, turned into the documented error body."""

    status: int
    error: str
    description: str
    fields: list[dict[str, str]] | None = field(default=None, kw_only=True)
    current_etag: str | None = field(default=None, kw_only=True)
    retry_after: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        super().__init__(self.description)


@dataclass(frozen=True)
class Kind:
    """How the emulator treats one collection: id prefix, key, unique fields and initial values."""

    segment: str
    singular: str
    prefix: str
    key_field: str = "id"
    unique: tuple[tuple[str, ...], ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # parent ids kept as plain fields that may change (a domain is assigned to an issuer and back)
    data_parents: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The kind's name in messages: ``api key``, ``trusted device``."""
        return self.singular.replace("_", " ")

    def key_of(self, value: object) -> str:
        """The storage key for a key field's value: domain names compare without case."""
        return str(value).lower() if self.key_field == "domain" else str(value)


KINDS: dict[str, Kind] = {
    kind.segment: kind
    for kind in (
        Kind("accounts", "account", "acc"),
        Kind("api-keys", "api_key", "key", defaults={"status": "active", "type": "secret", "restrictions": {}}),
        Kind(
            "domains",
            "domain",
            "dom",
            key_field="domain",
            defaults={"status": "pending", "issuer_id": None},
            data_parents=("issuer_id",),
        ),
        Kind("events", "event", "evt"),
        Kind("issuers", "issuer", "i", defaults={"status": "active"}),  # today's issuer ids look like i_...
        Kind("notes", "note", "note", defaults={"pinned": False}),
        Kind("tokens", "personal_token", "pat", defaults={"status": "active", "type": "personal", "restrictions": {}}),
        Kind("webhooks", "webhook", "wh", defaults={"status": "active", "description": ""}),
        Kind("agents", "agent", "ag", defaults={"status": "active"}),
        Kind("approvals", "approval", "apr", defaults={"status": "pending"}),
        Kind("auth-methods", "auth_method", "am", defaults={"enabled": True, "settings": {}}),
        Kind(
            "clients", "client", "cli", defaults={"status": "active", "type": "web", "description": "", "logo_url": ""}
        ),
        Kind("organizations", "organization", "org", unique=(("slug",),), defaults={"status": "active"}),
        Kind("groups", "group", "grp"),
        Kind("invitations", "invitation", "inv", defaults={"status": "pending", "sent_count": 1}),
        Kind(
            "members", "member", "mem", unique=(("org_id", "user_id"),), defaults={"status": "active", "role": "member"}
        ),
        Kind("sessions", "session", "ses", defaults={"status": "active", "type": "web"}),
        Kind("users", "user", "usr", unique=(("email",), ("username",)), defaults={"status": "active"}),
        Kind("trusted-devices", "trusted_device", "dev"),
        Kind("verifiers", "verifier", "ver", defaults={"status": "pending"}),
        Kind("deliveries", "delivery", "dlv"),
        Kind("credits", "credit_ledger_entry", "cle"),
        Kind("redeliver", "redelivery", "rdl"),
    )
}

# Path placeholders that name a parent object, and the collection that object lives in.
PARENT_KIND = {
    "account_id": "accounts",
    "issuer_id": "issuers",
    "user_id": "users",
    "agent_id": "agents",
    "webhook_id": "webhooks",
    "org_id": "organizations",
}


@dataclass
class Record:
    """One stored object: its public fields, the parent ids it lives under, and its version."""

    kind: str
    key: str
    data: dict[str, Any]
    parents: dict[str, str]
    seq: int
    version: int = 1
    etag: str = ""

    def touch(self) -> None:
        """Recompute the ETag after a change (it depends on the content and the version)."""
        digest = hashlib.sha256(f"{self.key}:{self.version}:{json.dumps(self.data, sort_keys=True)}".encode())
        self.etag = f'"{digest.hexdigest()[:20]}"'

    def public(self) -> dict[str, Any]:
        """A copy of the fields the API shows."""
        return dict(self.data)


# (kind, account, unique field group, the siblings' parents) -> the group's values (lower-cased) -> record key
_UniqueIndex = dict[tuple[str, str, tuple[str, ...], frozenset[tuple[str, str]]], dict[tuple[str, ...], str]]


class Store:
    """Records per (kind, account), in creation order, with an index of each kind's unique fields.

    The index makes the duplicate check of a create or update O(1) whatever the collection's size (a scan of
    the siblings made seeding 5,000 users take 27 s). Code that replaces a record's data calls
    :meth:`reindex`.
    """

    def __init__(self, seed: int = 0) -> None:
        self._records: dict[tuple[str, str], dict[str, Record]] = {}
        self._random = random.Random(seed)
        self._seq = 0
        self._unique: _UniqueIndex = {}
        # what each record is indexed under, so removing it does not depend on its current data
        self._indexed: dict[tuple[str, str, str], list[tuple[Any, tuple[str, ...]]]] = {}
        # each collection in creation order (sequence numbers only grow): a page starts at its cursor by
        # bisection; removed records stay here and are skipped (table identity is the truth)
        self._order: dict[tuple[str, str], list[Record]] = {}
        self._order_seqs: dict[tuple[str, str], list[int]] = {}

    def new_id(self, kind: str) -> str:
        return f"{KINDS[kind].prefix}_{self._random.getrandbits(64):016x}"

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def table(self, kind: str, account: str) -> dict[str, Record]:
        return self._records.setdefault((kind, account), {})

    def get(self, kind: str, account: str, key: str) -> Record | None:
        return self._records.get((kind, account), {}).get(key)

    def add(self, kind: str, account: str, key: str, data: dict[str, Any], parents: dict[str, str]) -> Record:
        record = Record(kind, key, data, dict(parents), self.next_seq())
        record.touch()
        self.table(kind, account)[key] = record
        self._index(record, account)
        self._order.setdefault((kind, account), []).append(record)
        self._order_seqs.setdefault((kind, account), []).append(record.seq)
        return record

    def remove(self, kind: str, account: str, key: str) -> None:
        if self.table(kind, account).pop(key, None) is not None:
            self._unindex(kind, account, key)

    def reindex(self, record: Record, account: str) -> None:
        """Index ``record`` again after its data was replaced (its unique fields may have changed)."""
        self._unindex(record.kind, account, record.key)
        self._index(record, account)

    def _index(self, record: Record, account: str) -> None:
        entries = []
        for group, values in self._unique_values(record.kind, record.data):
            index = (record.kind, account, group, frozenset(record.parents.items()))
            self._unique.setdefault(index, {})[values] = record.key
            entries.append((index, values))
        if entries:
            self._indexed[(record.kind, account, record.key)] = entries

    def _unindex(self, kind: str, account: str, key: str) -> None:
        for index, values in self._indexed.pop((kind, account, key), []):
            if self._unique.get(index, {}).get(values) == key:
                del self._unique[index][values]

    @staticmethod
    def _unique_values(kind: str, data: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
        for group in KINDS[kind].unique:
            if all(data.get(name) is not None for name in group):
                yield group, tuple(str(data[name]).lower() for name in group)

    def under(self, kind: str, account: str, parents: Mapping[str, str], after: int = 0) -> Iterator[Record]:
        """Records of a kind whose parents include all of ``parents``, created after sequence ``after``.

        Lazy and in creation order, starting at ``after`` without visiting what came before it.
        """
        for record in self._created_after(kind, account, after):
            if all(record.parents.get(name, record.data.get(name)) == value for name, value in parents.items()):
                yield record

    def _created_after(self, kind: str, account: str, after: int) -> Iterator[Record]:
        table = self._records.get((kind, account), {})
        if not after:
            yield from table.values()  # callers that remove records as they go take a copy first
            return
        order = self._order.get((kind, account), [])
        for index in range(bisect.bisect_right(self._order_seqs.get((kind, account), []), after), len(order)):
            record = order[index]
            if table.get(record.key) is record:
                yield record

    def remove_descendants(self, account: str, parent: str, value: str) -> int:
        """Delete every record that lives under the object ``parent=value`` (a cascade); return how many."""
        removed = 0
        for (_, owner), table in self._records.items():
            if owner != account:
                continue
            doomed = [key for key, record in table.items() if record.parents.get(parent) == value]
            for key in doomed:
                kind = table.pop(key).kind
                self._unindex(kind, account, key)
            removed += len(doomed)
        return removed

    def count(self, kind: str, account: str | None = None) -> int:
        """How many records of a kind (in one account, or in all)."""
        return sum(len(t) for (k, owner), t in self._records.items() if k == kind and account in (None, owner))

    def conflict(
        self, record_kind: str, account: str, parents: Mapping[str, str], data: Mapping[str, Any], key: str
    ) -> str | None:
        """The unique field group that ``data`` would duplicate among its siblings, or None."""
        scope = frozenset(parents.items())
        for group, values in self._unique_values(record_kind, data):
            holder = self._unique.get((record_kind, account, group, scope), {}).get(values)
            if holder is not None and holder != key:
                return ", ".join(group)
        return None
