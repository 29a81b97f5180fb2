"""The emulator's S3 object index in SQLite under the data dir, not in the process: bounded memory.

moto keeps every object of a bucket as a ``FakeKey`` (``FakeBucket.keys``: name -> versions) for as
long as it lives, and the template's lifecycle keeps frames for ``FrameRetentionDays`` (7): the body
is on disk already (``emulator_storage``), but the key itself (metadata, ACL, timestamps, its body's
place) measured 4.3 KB of memory per object, 77 MB an hour at 5 fps. Here each bucket's ``keys`` is a
mapping with the same interface whose versions live as one pickled row per name in a SQLite file;
a key is rebuilt when moto reads it and written when moto stores it.

moto changes some keys after it stored or read them (PutObject sets the metadata and ACL of the key
it has just stored; a legal hold; the ETag it computes on first use): the last ``CACHE`` names read
or written stay in memory as objects, and one leaving that cache is written back when it changed, as
are those touched since the last ``flush`` (every snapshot pass) and all of them at ``close``. A
rebuilt key never deletes its body when it is garbage collected (moto's ``FakeKey.__del__`` does);
deleting or replacing an object still does.

Listing is pushed down (``moto_hooks.install_key_store``): a ListObjects page reads the rows after
its marker under its prefix, in name order, up to its page size, not the whole bucket per page; and
the lifecycle sweep asks for the names last modified before its cutoff (``expired``), as S3's own
lifecycle engine would, instead of listing a week of frames.

For ``framewatch up`` (snapshots on) the file and the bodies outlive the process and are the
bucket's snapshot: a bucket created again under the same account and name finds its objects.
Otherwise the file is emptied at every start.
"""

from __future__ import annotations

import collections
import io
import itertools
import pickle
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from framewatch.embedded.emulator_storage import DiskBody

# Names whose keys stay in memory as objects after a read or a write (see module docstring).
CACHE = 512
# Rows read per chunk while a listing walks a bucket.
CHUNK = 256
_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    bkt TEXT NOT NULL, name TEXT NOT NULL, modified REAL NOT NULL, versions BLOB NOT NULL,
    PRIMARY KEY (bkt, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_modified ON objects (bkt, modified);
"""


def _fake_key_class() -> Any:
    from moto.s3.models import FakeKey

    return FakeKey


def _stored_key_class() -> Any:
    """FakeKey whose garbage collection leaves its body alone (an explicit dispose still deletes it)."""
    global _StoredKey
    if _StoredKey is None:
        fake_key: Any = _fake_key_class()

        class StoredKey(fake_key):
            def __del__(self) -> None:
                pass

        _StoredKey = StoredKey
    return _StoredKey


_StoredKey: type | None = None


def adopt(key: Any) -> None:
    """From now on the store owns ``key``'s body: collecting this object must not delete it."""
    fake_key = _fake_key_class()
    if type(key) is fake_key:
        key.__class__ = _stored_key_class()


def thaw_key(state: dict[str, Any]) -> Any:
    key = _stored_key_class().__new__(_stored_key_class())
    kind, where = state.pop("_value_buffer")
    key.__dict__.update(state)
    if kind == "disk":
        key._value_buffer = DiskBody.at(Path(where))
    else:  # the emulator kept bodies in memory when the key was stored
        key._value_buffer = io.BytesIO(where)
    key.lock = threading.Lock()
    return key


class _Freezer(pickle.Pickler):
    """Pickles keys by their state and their body's place (moto's own pickling copies the body)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _fake_key_class()):
            state = dict(obj.__dict__)
            state.pop("lock", None)
            buffer = state.pop("_value_buffer")
            state["_value_buffer"] = (
                ("disk", str(buffer.path)) if isinstance(buffer, DiskBody) else ("bytes", obj.value)
            )
            return thaw_key, (state,)
        return NotImplemented


def freeze(versions: list[Any]) -> bytes:
    for version in versions:
        if isinstance(version, _fake_key_class()):
            version.etag  # noqa: B018 - moto computes it on first use from the body; store it with the key
    out = io.BytesIO()
    _Freezer(out, protocol=pickle.HIGHEST_PROTOCOL).dump(versions)
    return zlib.compress(out.getvalue(), 1)


def thaw(blob: bytes) -> list[Any]:
    versions: list[Any] = pickle.loads(zlib.decompress(blob))
    return versions


def _body_place(version: Any) -> Any:
    buffer = getattr(version, "_value_buffer", None)
    return str(buffer.path) if isinstance(buffer, DiskBody) else id(version)


def _prefix_end(prefix: str) -> str | None:
    """The smallest name after every name that starts with ``prefix`` (None: no such bound)."""
    if not prefix or ord(prefix[-1]) >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class KeyStore:
    """One SQLite file holding the object index of every bucket of the emulator."""

    def __init__(self, path: Path, keep: bool = False) -> None:
        """``keep``: the file outlives the process (``framewatch up``): a bucket created again under
        the same account and name finds its objects. Otherwise the file is emptied."""
        self.path, self.keep = path, keep
        path.parent.mkdir(parents=True, exist_ok=True)
        if not keep:
            for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                stale.unlink(missing_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'NORMAL' if keep else 'OFF'}")
        self.db.execute("PRAGMA cache_size=-4000")  # KB
        self.db.executescript(_SCHEMA)
        self._ids = itertools.count()
        # (bucket id, name) -> [versions, the blob stored for them]; see CACHE.
        self._cache: collections.OrderedDict[tuple[str, str], list[Any]] = collections.OrderedDict()
        self._touched: set[tuple[str, str]] = set()  # cached names read or written since the last flush
        self.closed = False

    def bucket_id(self, bucket: Any) -> str:
        name = str(getattr(bucket, "name", "bucket"))
        if self.keep:
            return f"{getattr(bucket, 'account_id', '')}/{name}"
        return f"{name}#{next(self._ids)}"  # a bucket deleted and created again starts empty

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.release()
            self.closed = True
            self.db.close()

    def release(self) -> None:
        """Write back and let go of every cached key (moto's reset disposes every key still alive)."""
        with self.lock:
            while self._cache:
                self._evict()

    def flush(self) -> int:
        """Write back the cached keys moto changed since the last flush; returns how many."""
        written = 0
        with self.lock:
            for cached in self._touched:
                entry = self._cache.get(cached)
                if entry is not None and not self.closed:
                    written += self._write_back(cached, entry)
            self._touched.clear()
        return written

    # ------------------------------------------------------------------ versions of one name
    def versions(self, bid: str, name: str) -> list[Any] | None:
        with self.lock:
            entry = self._cache.get((bid, name))
            if entry is not None:
                self._cache.move_to_end((bid, name))
                return list(entry[0])
            if self.closed:
                return None
            row = self.db.execute(
                "SELECT versions FROM objects WHERE bkt = ? AND name = ?", (bid, name)
            ).fetchone()
            if row is None:
                return None
            versions = thaw(row[0])
            self._remember(bid, name, versions, row[0])
            return list(versions)

    def store(self, bid: str, name: str, versions: list[Any]) -> None:
        for version in versions:
            adopt(version)
        blob = freeze(versions)
        modified = max(
            (v.last_modified.timestamp() for v in versions if hasattr(v, "last_modified")), default=0.0
        )
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)",
                (bid, name, modified, sqlite3.Binary(blob)),
            )
            self._remember(bid, name, list(versions), blob)

    def remove(self, bid: str, name: str) -> None:
        with self.lock:
            self._cache.pop((bid, name), None)
            self._touched.discard((bid, name))
            self.db.execute("DELETE FROM objects WHERE bkt = ? AND name = ?", (bid, name))

    def _remember(self, bid: str, name: str, versions: list[Any], blob: bytes) -> None:
        self._cache[(bid, name)] = [versions, blob]
        self._cache.move_to_end((bid, name))
        self._touched.add((bid, name))
        while len(self._cache) > CACHE:
            self._evict()

    def _evict(self) -> None:
        """Drop the oldest cached name, writing its keys back if moto changed them since."""
        cached, entry = self._cache.popitem(last=False)
        self._touched.discard(cached)
        if not self.closed:
            self._write_back(cached, entry)

    def _write_back(self, cached: tuple[str, str], entry: list[Any]) -> int:
        fresh = freeze(entry[0])
        if fresh == entry[1]:
            return 0
        entry[1] = fresh
        self.db.execute(
            "UPDATE objects SET versions = ? WHERE bkt = ? AND name = ?", (sqlite3.Binary(fresh), *cached)
        )
        return 1

    # ------------------------------------------------------------------ a bucket
    def count(self, bid: str) -> int:
        with self.lock:
            return int(self.db.execute("SELECT count(*) FROM objects WHERE bkt = ?", (bid,)).fetchone()[0])

    def rows(self, bid: str, prefix: str = "", after: str | None = None) -> Iterator[tuple[str, list[Any]]]:
        """(name, versions) in name order, under ``prefix`` and after ``after``, CHUNK at a time."""
        low, end = (after, ">") if after is not None and after >= prefix else (prefix, ">=")
        upper = _prefix_end(prefix)
        while True:
            sql = f"SELECT name, versions FROM objects WHERE bkt = ? AND name {end} ?"
            params: list[Any] = [bid, low]
            if upper is not None:
                sql, params = sql + " AND name < ?", [*params, upper]
            with self.lock:
                if self.closed:
                    return
                chunk = self.db.execute(sql + f" ORDER BY name LIMIT {CHUNK}", params).fetchall()
                fresher = {name: self._cache.get((bid, name)) for name, _ in chunk}
            for name, blob in chunk:
                if not name.startswith(prefix):
                    continue
                cached = fresher[name]
                yield name, list(cached[0]) if cached is not None else thaw(blob)
            if len(chunk) < CHUNK:
                return
            low, end = chunk[-1][0], ">"

    def expired(self, bid: str, prefix: str, cutoff: float) -> list[str]:
        """Names under ``prefix`` last modified before ``cutoff`` (epoch seconds)."""
        with self.lock:
            rows = self.db.execute(
                "SELECT name FROM objects WHERE bkt = ? AND modified < ? ORDER BY name", (bid, cutoff)
            ).fetchall()
        return [row[0] for row in rows if row[0].startswith(prefix)]

    def drop(self, bid: str) -> None:
        with self.lock:
            for cached in [k for k in self._cache if k[0] == bid]:
                self._cache.pop(cached)
                self._touched.discard(cached)
            if not self.closed:
                self.db.execute("DELETE FROM objects WHERE bkt = ?", (bid,))


class _Listing(threading.local):
    """The listing under way on this thread: what the next ``items()`` of its bucket may skip."""

    keys: Any = None
    prefix: str = ""
    after: str | None = None
    limit: int | None = None


listing = _Listing()


class DiskKeys(dict[str, Any]):
    """What moto's ``FakeBucket.keys`` is (a ``_VersionedKeyStore``: name -> versions, the last one
    current), kept in a :class:`KeyStore`. The dict itself stays empty."""

    def __init__(self, store: KeyStore, bucket: Any) -> None:
        super().__init__()
        self.store, self.bid = store, store.bucket_id(bucket)

    def __deepcopy__(self, memo: dict[int, Any]) -> DiskKeys:
        return self

    # ---- one name
    def getlist(self, key: str, default: Any = None) -> Any:
        found = self.store.versions(self.bid, key)
        return found if found else default

    def __sgetitem__(self, key: str) -> list[Any]:
        found = self.store.versions(self.bid, key)
        if not found:
            raise KeyError(key)
        return found

    def __getitem__(self, key: str) -> Any:
        return self.__sgetitem__(key)[-1]

    def get(self, key: str, default: Any = None) -> Any:
        found = self.store.versions(self.bid, key)
        return found[-1] if found else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self.store.versions(self.bid, key))

    def setlist(self, key: str, list_: Any) -> None:
        versions = list(list_) if isinstance(list_, list | tuple) else [list_]
        kept = {_body_place(v) for v in versions}
        for old in self.store.versions(self.bid, key) or []:
            # Compared by body, not identity: a version read again is a new object.
            if _body_place(old) not in kept and hasattr(old, "dispose"):
                old.dispose()
        self.store.store(self.bid, key, versions)

    def __setitem__(self, key: str, value: Any) -> None:
        self.store.store(self.bid, key, [*(self.store.versions(self.bid, key) or []), value])

    def pop(self, key: str, *default: Any) -> Any:
        found = self.store.versions(self.bid, key)
        if not found:
            if default:
                return default[0]
            raise KeyError(key)
        for version in found:
            version.dispose()
        self.store.remove(self.bid, key)
        return None

    # ---- the bucket
    def __len__(self) -> int:
        return self.store.count(self.bid)

    def __bool__(self) -> bool:
        return len(self) > 0

    def item_size(self) -> int:
        return len(self)

    def _rows(self) -> Iterator[tuple[str, list[Any]]]:
        hint = listing if listing.keys is self else None
        if hint is None:
            yield from self.store.rows(self.bid)
            return
        from moto.s3.models import FakeDeleteMarker

        left = hint.limit
        for name, versions in self.store.rows(self.bid, hint.prefix, hint.after):
            if left is not None and not isinstance(versions[-1], FakeDeleteMarker):
                if left == 0:
                    return
                left -= 1
            yield name, versions

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        return ((name, versions[-1]) for name, versions in self._rows())

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        return (versions[-1] for _, versions in self._rows())

    def lists(self) -> Iterator[tuple[str, list[Any]]]:
        return self._rows()

    iteritems = items
    itervalues = values
    iterlists = lists

    def keys(self) -> Iterator[str]:  # type: ignore[override]
        return (name for name, _ in self._rows())

    def __iter__(self) -> Iterator[str]:
        return self.keys()

    def _self_iterable(self) -> dict[str, Any]:
        return dict(self._rows())

    def clear(self) -> None:
        self.store.drop(self.bid)

    def expired(self, prefix: str, cutoff: float) -> list[str]:
        """Names under ``prefix`` last modified before ``cutoff`` (epoch seconds)."""
        return self.store.expired(self.bid, prefix, cutoff)


def bucket_keys(bucket: str, account: str = "123456789012") -> DiskKeys | None:
    """The in-process emulator's bucket's keys when a key store holds them, else None."""
    try:
        from moto.s3.models import s3_backends

        found = s3_backends[account]["aws"].buckets.get(bucket)
    except (ImportError, KeyError):
        return None
    keys = found.__dict__.get("keys") if found is not None else None
    return keys if isinstance(keys, DiskKeys) else None
