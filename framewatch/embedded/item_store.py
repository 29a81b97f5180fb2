"""The emulator's DynamoDB items in SQLite under the data dir, not in the process: bounded memory.

moto keeps every item of every table as Python objects (``Table.items``: hash -> range -> Item) for
as long as the item lives, and the tables keep frames and incidents for ``FrameRetentionDays`` (7):
about 13 KB of memory per frame, tens of GB for a week at 5 fps. Here each table's ``items`` is a
mapping with the same shape whose items live as JSON rows of one SQLite file; an item is rebuilt when
moto reads it and written when moto stores it. Nothing is cached: memory is SQLite's page cache (a
few MB) plus the items of the request under way.

What moto does with ``items`` besides get/set/delete is covered by the hooks in ``moto_hooks``
(``install_item_store``, checked against moto's signatures at start):

- ``Table.all_items`` (every query and scan walks it) reads rows in key order, in chunks, and only
  those a query can match (its partition key, or a global index's partition key) or a scan can still
  return (after its ``ExclusiveStartKey``): a query of one camera does not read the whole week;
- ``UpdateItem`` changes the item moto read in place; the hook writes it back when it returns;
- ``TransactWriteItems`` deep-copies the tables it touches to undo a cancelled transaction; the
  mapping copies as itself (no copy of the week), and the transaction runs in a SQLite savepoint
  that is rolled back instead.

For ``framewatch up`` (snapshots on) the file is kept across restarts and is the tables' snapshot:
the deployer creates the tables again and each finds its rows, so a restart restores nothing and the
snapshotter scans no table. Otherwise (tests, the demo) it is emptied at every start.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Rows read per chunk while a query or scan walks a table.
CHUNK = 256
# Global indexes whose partition key is stored in its own indexed column (the template has one each).
INDEX_COLUMNS = 2
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS items (
    tbl TEXT NOT NULL, hkey TEXT NOT NULL, rkey TEXT NOT NULL, hs, rs,
    {", ".join(f"g{n}" for n in range(INDEX_COLUMNS))},
    body TEXT NOT NULL,
    PRIMARY KEY (tbl, hkey, rkey)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_order ON items (tbl, hs, rs);
{"".join(f"CREATE INDEX IF NOT EXISTS items_g{n} ON items (tbl, g{n});" for n in range(INDEX_COLUMNS))}
"""


def exact(value: Any) -> str:
    """A key attribute (a DynamoType) as text that is equal exactly when moto's dict keys are."""
    return json.dumps([value.type, value.value if not isinstance(value.value, bytes) else value.value.hex()])


def sortable(value: Any) -> Any:
    """A key attribute as SQLite orders it the way moto sorts DynamoTypes (S: code points; N: number;
    B: bytes); no sort key is ''."""
    if value is None:
        return ""
    if value.type == "N":
        return float(value.value)
    if value.type == "B":
        return value.value if isinstance(value.value, bytes) else str(value.value).encode()
    return value.value


class ItemStore:
    """One SQLite file holding the items of every table of the emulator."""

    def __init__(self, path: Path, keep: bool = False) -> None:
        """``keep``: the file outlives the process (``framewatch up``), and a table created again
        under the same account, region, name and keys finds its items where it left them: this
        file is then the tables' snapshot. Otherwise the file is emptied and ids are never reused."""
        self.path, self.keep = path, keep
        path.parent.mkdir(parents=True, exist_ok=True)
        if not keep:
            for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                stale.unlink(missing_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL survives a killed process (not a power cut) without a sync per write.
        self.db.execute(f"PRAGMA synchronous={'NORMAL' if keep else 'OFF'}")
        self.db.execute("PRAGMA cache_size=-8000")  # KB: the page cache is most of its memory
        self.db.executescript(_SCHEMA)
        self._ids = itertools.count()
        self.closed = False

    def new_table_id(self, table: Any) -> str:
        name = str(getattr(table, "name", "table"))
        if self.keep:
            where = f"{getattr(table, 'account_id', '')}/{getattr(table, 'region_name', '')}"
            keys = f"{getattr(table, 'hash_key_attr', '')}/{getattr(table, 'range_key_attr', '') or ''}"
            return f"{where}/{name}#{keys}"  # DeleteTable empties it; new key attributes: new id
        # One id per moto Table object: a table deleted and created again, or a reset emulator's,
        # never sees the old one's rows.
        return f"{name}#{next(self._ids)}"

    def table_count(self, table: Any) -> int:
        """Items the table holds in this file (a kept file: what the last run left)."""
        items = table.__dict__.get("_items")
        return self.count(items.tid) if isinstance(items, DiskItems) else 0

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.db.close()

    # ------------------------------------------------------------------ rows
    def put(self, owner: DiskItems, item: Any) -> None:
        hk, rk = item.hash_key, item.range_key
        body = json.dumps({key: _dump(value) for key, value in item.attrs.items()})
        row = [owner.tid, exact(hk), exact(rk) if rk is not None else "", sortable(hk), sortable(rk)]
        indexed = [item.attrs.get(attr) for _, attr in owner.indexes]
        row += [sortable(value) if value is not None else None for value in indexed]
        row += [None] * (INDEX_COLUMNS - len(indexed))
        with self.lock:
            self.db.execute(
                f"INSERT OR REPLACE INTO items VALUES ({', '.join('?' * (len(row) + 1))})", [*row, body]
            )

    def get(self, tid: str, hk: Any, rk: Any) -> str | None:
        with self.lock:
            row = self.db.execute(
                "SELECT body FROM items WHERE tbl = ? AND hkey = ? AND rkey = ?",
                (tid, exact(hk), exact(rk) if rk is not None else ""),
            ).fetchone()
        return row[0] if row else None

    def delete(self, tid: str, hk: Any, rk: Any) -> None:
        with self.lock:
            self.db.execute(
                "DELETE FROM items WHERE tbl = ? AND hkey = ? AND rkey = ?",
                (tid, exact(hk), exact(rk) if rk is not None else ""),
            )

    def drop(self, tid: str) -> None:
        with self.lock:
            if not self.closed:
                self.db.execute("DELETE FROM items WHERE tbl = ?", (tid,))

    def count(self, tid: str, exact_hk: str | None = None) -> int:
        sql, args = "SELECT count(*) FROM items WHERE tbl = ?", [tid]
        if exact_hk is not None:
            sql, args = sql + " AND hkey = ?", [tid, exact_hk]
        with self.lock:
            return int(self.db.execute(sql, args).fetchone()[0])

    def hash_keys(self, tid: str) -> list[str]:
        with self.lock:
            rows = self.db.execute("SELECT DISTINCT hkey FROM items WHERE tbl = ? ORDER BY hkey", (tid,))
            return [row[0] for row in rows]

    def expired(self, tid: str, attribute: str, now: float) -> list[tuple[str, str]]:
        """Keys (as :func:`exact` wrote them) of the items whose ``attribute`` is a number below
        ``now``: what DynamoDB's TTL deletes. SQLite reads the number out of each row's JSON, so no
        item is rebuilt in Python (a Scan would rebuild every item of the table, a page at a time)."""
        path = "$." + json.dumps(attribute) + ".N"  # a quoted name: any attribute name is a key
        with self.lock:
            if self.closed:
                return []
            rows = self.db.execute(
                "SELECT hkey, rkey FROM items WHERE tbl = ? AND CAST(json_extract(body, ?) AS REAL) < ?",
                (tid, path, now),
            ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def rows(self, tid: str, where: str = "", args: tuple[Any, ...] = ()) -> Iterator[str]:
        """Bodies in key order (moto's order for a scan), read CHUNK at a time so that a scan that
        stops at its page limit reads little more than its page."""
        after: tuple[Any, Any, str, str] | None = None
        while True:
            sql = f"SELECT hs, rs, hkey, rkey, body FROM items WHERE tbl = ? {where}"
            params: list[Any] = [tid, *args]
            if after is not None:
                sql += " AND (hs, rs, hkey, rkey) > (?, ?, ?, ?)"
                params += list(after)
            sql += f" ORDER BY hs, rs, hkey, rkey LIMIT {CHUNK}"
            with self.lock:
                if self.closed:
                    return
                chunk = self.db.execute(sql, params).fetchall()
            for row in chunk:
                yield row[4]
            if len(chunk) < CHUNK:
                return
            last = chunk[-1]
            after = (last[0], last[1], last[2], last[3])

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Many writes as one SQLite transaction (a restore: one commit, not one per item)."""
        with self.lock:
            self.savepoint()
            try:
                yield
            except BaseException:
                self.rollback()
                raise
            self.release()

    def savepoint(self) -> None:
        self.db.execute("SAVEPOINT framewatch_transaction")

    def release(self) -> None:
        self.db.execute("RELEASE framewatch_transaction")

    def rollback(self) -> None:
        self.db.execute("ROLLBACK TO framewatch_transaction")
        self.db.execute("RELEASE framewatch_transaction")


def _dump(value: Any) -> Any:
    """A DynamoType as JSON, exactly: moto holds a binary value as bytes or as base64 text
    depending on where it came from, and answers differently for each."""
    kind, data = value.type, value.value
    if kind == "L":
        return {"L": [_dump(v) for v in data]}
    if kind == "M":
        return {"M": {k: _dump(v) for k, v in data.items()}}
    if isinstance(data, bytes):
        return {kind: {"bytes": base64.b64encode(data).decode()}}
    if kind == "BS" and any(isinstance(v, bytes) for v in data):
        return {kind: [{"bytes": base64.b64encode(v).decode()} if isinstance(v, bytes) else v for v in data]}
    return {kind: data}


def _load(stored: dict[str, Any]) -> dict[str, Any]:
    """What :func:`_dump` wrote, as the dict DynamoType is built from."""
    ((kind, data),) = stored.items()
    if kind == "L":
        return {"L": [_load(v) for v in data]}
    if kind == "M":
        return {"M": {k: _load(v) for k, v in data.items()}}
    if isinstance(data, dict):
        return {kind: base64.b64decode(data["bytes"])}
    if kind == "BS":
        return {kind: [base64.b64decode(v["bytes"]) if isinstance(v, dict) else v for v in data]}
    return stored


def _index_hash_attrs(table: Any) -> list[tuple[str, str]]:
    """(name, partition-key attribute) of the table's first INDEX_COLUMNS global indexes."""
    found = []
    for index in (getattr(table, "global_indexes", None) or [])[:INDEX_COLUMNS]:
        found.append(
            (index.name, next((k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"), ""))
        )
    return found


def item_from_body(table: Any, body: str) -> Any:
    """An Item from its stored attributes, without moto's per-attribute size re-check (the item
    passed it when it was written; re-checking every attribute is quadratic)."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    attrs = json.loads(body)
    item: Any = Item.__new__(Item)
    values = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(values, ((key, DynamoType(_load(value))) for key, value in attrs.items()))
    item.attrs = values
    item.hash_key = values[table.hash_key_attr]
    item.range_key = values[table.range_key_attr] if table.range_key_attr else None
    return item


class _HashView:
    """``table.items[hash]`` of a table with a sort key: range -> Item."""

    def __init__(self, owner: DiskItems, hk: Any, known: str | None = None) -> None:
        self.owner, self.hk = owner, hk
        self.exact = known if known is not None else exact(hk)

    def __getitem__(self, rk: Any) -> Any:
        found = self.owner.store.get(self.owner.tid, self.hk, rk)
        if found is None:
            raise KeyError(rk)
        return item_from_body(self.owner.table, found)

    def get(self, rk: Any, default: Any = None) -> Any:
        try:
            return self[rk]
        except KeyError:
            return default

    def __setitem__(self, rk: Any, item: Any) -> None:
        self.owner.store.put(self.owner, item)

    def __contains__(self, rk: Any) -> bool:
        return self.owner.store.get(self.owner.tid, self.hk, rk) is not None

    def pop(self, rk: Any, *default: Any) -> Any:
        try:
            item = self[rk]
        except KeyError:
            if default:
                return default[0]
            raise
        self.owner.store.delete(self.owner.tid, self.hk, rk)
        return item

    def __len__(self) -> int:
        return self.owner.store.count(self.owner.tid, self.exact)

    def values(self) -> Iterator[Any]:
        for body in self.owner.store.rows(self.owner.tid, "AND hkey = ?", (self.exact,)):
            yield item_from_body(self.owner.table, body)

    def __iter__(self) -> Iterator[Any]:
        return (item.range_key for item in self.values())

    def keys(self) -> Iterator[Any]:
        return iter(self)

    def items(self) -> Iterator[tuple[Any, Any]]:
        return ((item.range_key, item) for item in self.values())


class DiskItems:
    """What moto's ``Table.items`` is (a defaultdict of hash -> Item, or hash -> range -> Item),
    kept in an :class:`ItemStore`."""

    def __init__(self, store: ItemStore, table: Any) -> None:
        self.store, self.table = store, table
        self.tid = store.new_table_id(table)
        # The indexes the table has now (a later UpdateTable's new index is queried without help).
        self.indexes = _index_hash_attrs(table)

    @property
    def ranged(self) -> bool:
        return self.table.range_key_attr is not None

    def __deepcopy__(self, memo: dict[int, Any]) -> DiskItems:
        # TransactWriteItems deep-copies a table to undo a cancelled transaction; the savepoint
        # of the transaction hook undoes it here instead (see module docstring).
        return self

    def __getitem__(self, hk: Any) -> Any:
        if self.ranged:
            return _HashView(self, hk)  # like the defaultdict: an empty partition is an empty view
        found = self.store.get(self.tid, hk, None)
        if found is None:
            raise KeyError(hk)
        return item_from_body(self.table, found)

    def __setitem__(self, hk: Any, item: Any) -> None:
        if self.ranged:
            raise TypeError("a table with a sort key stores items through items[hash][range]")
        self.store.put(self, item)

    def __contains__(self, hk: Any) -> bool:
        if self.ranged:
            return self.store.count(self.tid, exact(hk)) > 0
        return self.store.get(self.tid, hk, None) is not None

    def get(self, hk: Any, default: Any = None) -> Any:
        try:
            return self[hk]
        except KeyError:
            return default

    def pop(self, hk: Any, *default: Any) -> Any:
        if self.ranged:
            raise TypeError("a table with a sort key deletes items through items[hash].pop(range)")
        try:
            item = self[hk]
        except KeyError:
            if default:
                return default[0]
            raise
        self.store.delete(self.tid, hk, None)
        return item

    def __len__(self) -> int:
        return len(self.store.hash_keys(self.tid)) if self.ranged else self.store.count(self.tid)

    def count(self) -> int:
        """Items in the table (``len`` is the number of partitions, as moto's dict's is)."""
        return self.store.count(self.tid)

    def values(self) -> Iterator[Any]:
        if self.ranged:  # one view per partition (moto counts and walks them)
            for exact in self.store.hash_keys(self.tid):
                yield _HashView(self, None, exact)
            return
        yield from self.all_items()

    def all_items(self, where: str = "", args: tuple[Any, ...] = ()) -> Iterator[Any]:
        for body in self.store.rows(self.tid, where, args):
            yield item_from_body(self.table, body)

    def clear(self) -> None:
        self.store.drop(self.tid)

    def expired_keys(self, attribute: str, now: float) -> list[dict[str, Any]]:
        """The keys, as the DynamoDB API writes them, of the items past their TTL ``attribute``."""
        names = [self.table.hash_key_attr, self.table.range_key_attr]
        return [
            {name: _key_value(text) for name, text in zip(names, row, strict=True) if name and text}
            for row in self.store.expired(self.tid, attribute, now)
        ]


def _key_value(text: str) -> dict[str, Any]:
    """What :func:`exact` wrote, as an attribute value of the API (binary as bytes)."""
    kind, value = json.loads(text)
    return {kind: bytes.fromhex(value) if kind == "B" else value}


def table_items(table: str, region: str, account: str = "123456789012") -> DiskItems | None:
    """The in-process emulator's table's items when an item store holds them, else None."""
    try:
        from moto.dynamodb.models import dynamodb_backends

        found = dynamodb_backends[account][region].tables.get(table)
    except (ImportError, KeyError):
        return None
    items = found.__dict__.get("_items") if found is not None else None
    return items if isinstance(items, DiskItems) else None
