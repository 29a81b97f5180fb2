"""The emulator's Kinesis records in SQLite beside their data, not in the process: bounded memory.

A Kinesis stream keeps its records for the retention period (24 h, as AWS does). Their data is on
disk already (``emulator_storage``'s hourly segments), but moto keeps a ``Record`` object per record
in the shard's ordered dict: about 550 bytes each with its dict entry, ~10 MB an hour at 5 fps until
the retention trims it (~230 MB after a day). Here each shard's ``records`` is a mapping with the
same interface: the newest ``TAIL`` records stay in memory as objects (readers keep up with the
head of the stream), older ones are written to a SQLite file in batches and rebuilt when read.

Reading is by sequence number (``read_from``: the ``limit`` records from a number on, one query
for the whole page), the ends are known without a walk, and the retention deletes the records
created before its cutoff from an index. A shard never gives a sequence number twice, also when
the retention has emptied it (AWS's numbers only grow; moto's would start again at 1 and a
consumer's checkpoint past them would skip the new records).

Kinesis records do not outlive the emulator (the stream starts empty, as its data folder does), so
the file is emptied at every start.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Records per shard that stay in memory as objects; past it the oldest SPILL go to the file at once.
TAIL = 1024
SPILL = 512
# Rows read per query while iterating a shard.
CHUNK = 512
_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    shard INTEGER NOT NULL, seq INTEGER NOT NULL, created REAL NOT NULL, partition_key TEXT NOT NULL,
    hash_key TEXT, hour INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
    PRIMARY KEY (shard, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_created ON records (shard, created);
"""


def _record_class() -> Any:
    from moto.kinesis.models import Record

    return Record


class StreamStore:
    """One SQLite file holding the spilled records of every shard of the emulator."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;" + _SCHEMA)
        self._shards = itertools.count(1)

    def new_shard(self) -> int:
        """A key for one shard's rows: shard ids repeat across streams, so each gets its own."""
        return next(self._shards)

    def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._db.execute(sql, parameters).fetchall()

    def delete(self, where: str, parameters: tuple[Any, ...]) -> int:
        """Delete the rows ``where`` says; how many there were."""
        with self.lock:
            return self._db.execute(f"DELETE FROM records WHERE {where}", parameters).rowcount

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        with self.lock:
            self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def close(self) -> None:
        with self.lock:
            self._db.close()


def _row(shard: int, record: Any) -> tuple[Any, ...]:
    hour, offset, length = record._place
    return (
        shard, record.sequence_number, record.created_at, record.partition_key,
        record.explicit_hash_key, hour, offset, length,
    )  # fmt: skip


def _rebuilt(row: tuple[Any, ...]) -> Any:
    seq, created, partition_key, hash_key, hour, offset, length = row
    record = object.__new__(_record_class())  # not through __init__: its data is on disk already
    record.__dict__.update(
        partition_key=partition_key,
        sequence_number=seq,
        explicit_hash_key=hash_key,
        created_at_datetime=datetime.fromtimestamp(created, UTC).replace(tzinfo=None),
        created_at=created,
        _place=(hour, offset, length),
    )
    return record


class ShardRecords(MutableMapping[int, Any]):
    """A shard's records, sequence number -> moto ``Record``, in ascending order (see module doc)."""

    def __init__(self, store: StreamStore) -> None:
        self.store = store
        self.shard = store.new_shard()
        self.tail: OrderedDict[int, Any] = OrderedDict()
        self.spilled = 0  # rows in the file
        self.first_spilled = 0  # lowest sequence number in the file (0: none)
        self.high_water = 0  # highest sequence number ever given

    # -------------------------------------------------------------- what the hooks and the sweep use
    def first_key(self) -> int:
        with self.store.lock:
            if self.spilled:
                return self.first_spilled
            return next(iter(self.tail), 0)

    def last_key(self) -> int:
        return self.high_water

    def read_from(self, first: int, limit: int | None) -> list[Any]:
        """The records with sequence numbers from ``first`` on, in order, at most ``limit``."""
        limit = limit or 10_000
        with self.store.lock:
            found: list[Any] = []
            if self.spilled and first < next(iter(self.tail), self.high_water + 1):
                rows = self.store.execute(
                    "SELECT seq, created, partition_key, hash_key, hour, offset, length FROM records"
                    " WHERE shard = ? AND seq >= ? ORDER BY seq LIMIT ?",
                    (self.shard, first, limit),
                )
                found = [_rebuilt(row) for row in rows]
            if len(found) < limit:
                start = found[-1].sequence_number + 1 if found else first
                for number, record in self.tail.items():
                    if number >= start:
                        found.append(record)
                        if len(found) == limit:
                            break
            return found

    def drop_before(self, cutoff: float) -> int:
        """Delete the records created before ``cutoff`` (epoch seconds); how many were deleted."""
        with self.store.lock:
            dropped = 0
            if self.spilled:
                dropped = self.store.delete("shard = ? AND created < ?", (self.shard, cutoff))
                if dropped:
                    self.spilled -= dropped
                    self._find_first_spilled()
            while self.tail and next(iter(self.tail.values())).created_at < cutoff:
                self.tail.popitem(last=False)
                dropped += 1
            return dropped

    # -------------------------------------------------------------------------- the mapping
    def __bool__(self) -> bool:
        # moto's PutRecord numbers a record 1 when its shard is empty: a shard the retention emptied
        # must go on from its last number, so "has records" means "has ever had one" here.
        return self.high_water > 0

    def __len__(self) -> int:
        return self.spilled + len(self.tail)

    def __setitem__(self, number: int, record: Any) -> None:
        with self.store.lock:
            if number <= self.high_water:
                raise KeyError(f"sequence number {number} was given already")  # not in moto's use
            self.tail[number] = record
            self.high_water = number
            if len(self.tail) > TAIL:
                moved = [self.tail.popitem(last=False)[1] for _ in range(SPILL)]
                self.store.insert([_row(self.shard, record) for record in moved])
                if not self.spilled:
                    self.first_spilled = moved[0].sequence_number
                self.spilled += len(moved)

    def __getitem__(self, number: int) -> Any:
        with self.store.lock:
            record = self.tail.get(number)
            if record is not None:
                return record
            found = self.read_from(number, 1) if self.spilled else []
            if not found or found[0].sequence_number != number:
                raise KeyError(number)
            return found[0]

    def __delitem__(self, number: int) -> None:
        with self.store.lock:
            if number in self.tail:
                del self.tail[number]
                return
            if not self.store.delete("shard = ? AND seq = ?", (self.shard, number)):
                raise KeyError(number)
            self.spilled -= 1
            self._find_first_spilled()

    def __iter__(self) -> Iterator[int]:
        return (record.sequence_number for record in self._walk())

    def __reversed__(self) -> Iterator[int]:
        return (record.sequence_number for record in self._walk_back())

    def values(self) -> _Values:  # type: ignore[override]
        return _Values(self)

    def _find_first_spilled(self) -> None:
        rows = self.store.execute("SELECT min(seq) FROM records WHERE shard = ?", (self.shard,))
        self.first_spilled = rows[0][0] or 0

    def _walk(self) -> Iterator[Any]:
        number = self.first_key()
        while True:
            page = self.read_from(number, CHUNK)
            yield from page
            if len(page) < CHUNK:
                return
            number = page[-1].sequence_number + 1

    def _walk_back(self) -> Iterator[Any]:
        yield from reversed(list(self.tail.values()))
        upper = next(iter(self.tail), self.high_water + 1)
        while self.spilled:
            rows = self.store.execute(
                "SELECT seq, created, partition_key, hash_key, hour, offset, length FROM records"
                " WHERE shard = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                (self.shard, upper, CHUNK),
            )
            yield from (_rebuilt(row) for row in rows)
            if len(rows) < CHUNK:
                return
            upper = rows[-1][0]


class _Values:
    """``records.values()`` as moto reads it for AT_TIMESTAMP iterators: in order, and reversed."""

    def __init__(self, records: ShardRecords) -> None:
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Any]:
        return self.records._walk()

    def __reversed__(self) -> Iterator[Any]:
        return self.records._walk_back()
