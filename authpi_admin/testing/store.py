"""The emulator's in-memory state: records of every kind, per account, with versions and ETags."""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from .records import Record

__all__ = ["KindRules", "Store"]


class KindRules(Protocol):
    """What the store needs to know of a kind (a `Kind` is one): the prefix of its
    ids, and the groups of fields whose values are unique among its siblings. The store knows no kind by
    name: the emulator hands it their rules, so the kinds may use the store and not the other way round."""

    @property
    def prefix(self) -> str: ...

    @property
    def unique(self) -> tuple[tuple[str, ...], ...]: ...


# (kind, account, unique field group, the siblings' parents) -> the group's values (lower-cased) -> record key
_UniqueIndex = dict[tuple[str, str, tuple[str, ...], frozenset[tuple[str, str]]], dict[tuple[str, ...], str]]


# How many removed records a collection's creation order may hold, beyond its live ones, before it is
# compacted (amortised O(1) a removal; a store that only adds never compacts).
_COMPACT_AFTER = 64


class Store:
    """Records per (kind, account), in creation order, with an index of each kind's unique fields and of
    each object's descendants.

    The unique index makes the duplicate check of a create or update O(1) whatever the collection's size (a
    scan of the siblings made seeding 5,000 users take 27 s); the descendants index makes a cascade cost
    what it removes, not what the account holds. Code that replaces a record's data calls `reindex()`.
    A removed record leaves nothing behind: its index entries go with it, and the creation order is
    compacted once removed records outnumber live ones.

    ``caps`` bounds the kinds that only grow (events, deliveries): at most that many records of the kind
    per account, the oldest removed first.
    """

    def __init__(self, kinds: Mapping[str, KindRules], seed: int = 0, caps: Mapping[str, int] | None = None) -> None:
        self._kinds = kinds
        self._seed = seed
        self._random = random.Random(seed)
        self._watchers: dict[str, Callable[[str, Record], None]] = {}  # kept across clear()
        self.caps: dict[str, int] = dict(caps or {})
        self.clear()

    def watch(self, kind: str, placed: Callable[[str, Record], None]) -> None:
        """Call ``placed(account, record)`` for every record of ``kind`` stored from now on: created, seeded
        or loaded from a state file alike (under the emulator's lock)."""
        self._watchers[kind] = placed

    def clear(self) -> None:
        """Forget every record; ids start again as from a new store."""
        self._records: dict[tuple[str, str], dict[str, Record]] = {}
        self._random.seed(self._seed)
        self._seq = 0
        self._unique: _UniqueIndex = {}
        # what each record is indexed under, so removing it does not depend on its current data
        self._indexed: dict[tuple[str, str, str], list[tuple[Any, tuple[str, ...]]]] = {}
        # each collection in creation order (sequence numbers only grow): a page starts at its cursor by
        # bisection; removed records stay here until compaction and are skipped (table identity is the
        # truth). _head: before it, every entry is a removed record (where the oldest live one is sought).
        self._order: dict[tuple[str, str], list[Record]] = {}
        self._order_seqs: dict[tuple[str, str], list[int]] = {}
        self._removed: dict[tuple[str, str], int] = {}
        self._head: dict[tuple[str, str], int] = {}
        # (account, parent param, parent id) -> the records that live under that object, by (kind, key)
        self._children: dict[tuple[str, str, str], dict[tuple[str, str], None]] = {}

    def new_id(self, kind: str) -> str:
        return f"{self._kinds[kind].prefix}_{self._random.getrandbits(64):016x}"

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
        self._place(record, account)
        return record

    def _place(self, record: Record, account: str) -> None:
        """Hold ``record``: in its table, its unique index, its parents' descendants and its collection's
        creation order; past the kind's cap the oldest goes, and the kind's watcher is told."""
        collection = (record.kind, account)
        table = self.table(record.kind, account)
        if record.key in table:  # the same key stored again (a seed): the old record goes first
            self.remove(record.kind, account, record.key)
        table[record.key] = record
        self._index(record, account)
        for name, value in record.parents.items():
            self._children.setdefault((account, name, value), {})[(record.kind, record.key)] = None
        self._order.setdefault(collection, []).append(record)
        self._order_seqs.setdefault(collection, []).append(record.seq)
        cap = self.caps.get(record.kind)
        if cap is not None and len(table) > cap:
            self._remove_oldest(collection)
        watcher = self._watchers.get(record.kind)
        if watcher is not None:
            watcher(account, record)

    def remove(self, kind: str, account: str, key: str) -> None:
        record = self._records.get((kind, account), {}).pop(key, None)
        if record is None:
            return
        self._unindex(kind, account, key)
        for name, value in record.parents.items():
            siblings = self._children.get((account, name, value))
            if siblings is not None:
                siblings.pop((kind, key), None)
                if not siblings:
                    del self._children[(account, name, value)]
        self._forget_order(kind, account)

    def _forget_order(self, kind: str, account: str) -> None:
        """A record of the collection was removed: compact its creation order once removed ones
        outnumber the live ones."""
        collection = (kind, account)
        removed = self._removed.get(collection, 0) + 1
        table = self._records.get(collection, {})
        if removed <= max(_COMPACT_AFTER, len(table)):
            self._removed[collection] = removed
            return
        order = [record for record in self._order.get(collection, []) if table.get(record.key) is record]
        self._order[collection] = order
        self._order_seqs[collection] = [record.seq for record in order]
        self._removed[collection] = 0
        self._head[collection] = 0

    def _remove_oldest(self, collection: tuple[str, str]) -> None:
        """Remove the oldest live record of a collection over its cap."""
        kind, account = collection
        order, table = self._order[collection], self._records[collection]
        index = self._head.get(collection, 0)
        while table.get(order[index].key) is not order[index]:
            index += 1
        self._head[collection] = index + 1
        self.remove(kind, account, order[index].key)

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
            holders = self._unique.get(index)
            if holders is not None and holders.get(values) == key:
                del holders[values]
                if not holders:  # the group's parent may be gone for good: leave no empty entry behind
                    del self._unique[index]

    def _unique_values(self, kind: str, data: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
        for group in self._kinds[kind].unique:
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
        """Delete every record that lives under the object ``parent=value`` (a cascade); return how many.
        A record's parents name all its ancestors, so one look-up finds them all."""
        doomed = list(self._children.get((account, parent, value), {}))
        for kind, key in doomed:
            self.remove(kind, account, key)
        return len(doomed)

    def dump(self) -> dict[str, Any]:
        """Every record, and where the ids and sequence numbers are, as JSON-ready data (see `load()`)."""
        records = [
            {
                "kind": record.kind,
                "account": account,
                "key": record.key,
                "data": record.data,
                "parents": record.parents,
                "seq": record.seq,
                "version": record.version,
            }
            for (_, account), table in self._records.items()
            for record in table.values()
        ]
        version, internal, gauss = self._random.getstate()
        return {
            "seq": self._seq,
            "random": [version, list(internal), gauss],
            "records": sorted(records, key=lambda item: item["seq"]),
        }

    def load(self, dumped: Mapping[str, Any]) -> None:
        """Hold exactly what `dump()` gave (and nothing else): records, versions, cursors and the ids
        still to come. Raises KeyError, TypeError or ValueError for data `dump()` did not make."""
        self.clear()
        for item in dumped["records"]:
            record = Record(item["kind"], item["key"], dict(item["data"]), dict(item["parents"]), int(item["seq"]))
            record.version = int(item["version"])
            record.touch()
            account = str(item["account"])
            if record.kind not in self._kinds:
                raise ValueError(f"unknown kind {record.kind!r}")
            self._place(record, account)  # in dump order, which is creation order
        self._seq = int(dumped["seq"])
        version, internal, gauss = dumped["random"]
        self._random.setstate((int(version), tuple(int(number) for number in internal), gauss))

    def accounts_with(self, kind: str) -> list[str]:
        """The accounts that hold records of ``kind``."""
        return [owner for (k, owner), table in self._records.items() if k == kind and table]

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
