"""Keeps the embedded stack's data across restarts.

Tables: under ``framewatch up`` the emulator keeps its DynamoDB items in a SQLite file that outlives
the process (``item_store``, ``keep=True``); that file is the tables' snapshot, so nothing is scanned
or written here. Without it (an emulator in another process) the snapshotter scans each table into
JSON-lines files, one per day, written only when changed, and ``restore`` puts them back with
BatchWriteItem; a kept item file takes such files in once (an older data dir) and removes them.

Objects: likewise, under ``framewatch up`` the emulator keeps its object index in a SQLite file and
the bodies in a folder that both outlive the process (``key_store``): the bucket finds its objects
when it is created again, and nothing is copied or listed here; objects of an older data dir are put
back into it once. Without it the objects added or changed since the last pass are copied into a
folder every few seconds and an append-only index records their ETags; at start they are put back
in the background, newest first, with no EventBridge event, so a restored enrollment photo does not
enrol its face a second time. Face collections persist on their own in the vision service's data
dir. A crash loses at most one interval of objects.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from framewatch.aws.clients import client

# Files for a table whose items have no day (people, tracks, alert outbox): small tables.
HASH_SHARDS = 8
ACCOUNT = "123456789012"  # the emulator's default account
TABLES = ("FramesTable", "PeopleTable", "AlertsTable", "AlertSlotsTable", "IncidentsTable", "TracksTable")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


class Snapshotter(threading.Thread):
    def __init__(
        self, folder: Path, tables: dict[str, str], bucket: str, interval: float, region: str = "us-east-1"
    ) -> None:
        super().__init__(name="snapshotter", daemon=True)
        self.folder, self.tables, self.bucket, self.interval = folder, tables, bucket, interval
        self.region = region
        self.stop_event = threading.Event()
        self.objects_ready = threading.Event()
        self.objects_ready.set()
        self.last_error: str | None = None
        # Key -> ETag of the objects copied; not needed (nor loaded) when the index itself is kept.
        self._etags: dict[str, str] = {} if kept_key_store() else self._load_index()
        self._logged = 0  # lines in the index log, to know when to compact it
        self._digests: dict[str, str] = {}
        self._keys: dict[str, list[str]] = {}
        self.files_written = 0
        self.saved: dict[str, int] = {}  # items per table (and objects) in the last pass
        self._lock = threading.Lock()  # the periodic pass and the final one never write at once

    def _load_index(self) -> dict[str, str]:
        """Key -> ETag of the objects saved: ``objects.log`` replayed (one ``[key, etag]`` line per
        change, etag "" for a deletion), after ``objects.json`` of older data dirs."""
        old, log = self.folder / "objects.json", self.folder / "objects.log"
        etags: dict[str, str] = json.loads(old.read_text()) if old.exists() else {}
        if log.exists():
            for line in log.read_text().splitlines():
                with contextlib.suppress(ValueError):
                    key, etag = json.loads(line)
                    if etag:
                        etags[key] = etag
                    else:
                        etags.pop(key, None)
        return etags

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.save()

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        self.join(timeout)  # a pass under way finishes first (the next one writes nothing twice)
        self.save(final=True)  # a clean stop keeps everything

    def save(self, final: bool = False) -> bool:
        """One pass; False (and ``last_error``) when it could not finish. What is kept in the
        emulator's own files is on disk already: a pass writes back what moto changed in memory,
        and only the last one counts it (counting a week of rows every few seconds is not free)."""
        with self._lock:
            try:
                kept = kept_item_store()
                backend = _in_process_backend("dynamodb", self.region) if kept else None
                for logical, table in self.tables.items():
                    if kept is not None and backend is not None and table in backend.tables:
                        if final:
                            self.saved[logical] = kept.table_count(backend.tables[table])
                    else:
                        self.saved[logical] = self._save_table(logical, table)
                keys = kept_key_store()
                if keys is not None:
                    keys.flush()
                    if final:
                        self.saved["objects"] = kept_object_count(self.bucket) or 0
                elif self.objects_ready.is_set():  # before, the bucket is still being filled back
                    self.saved["objects"] = self._save_objects()
                self.last_error = None
                return True
            except Exception as exc:  # the emulator may be going away under us; try again next time
                self.last_error = str(exc)
                return False

    def _save_table(self, logical: str, table: str) -> int:
        """A table as one file per day (items with a ``day``: frames, incidents, alerts) or per hash
        of the key (the rest); a file is written only when its content changed since the last pass,
        so a week of frames costs one day's file per pass, not the whole week."""
        dynamodb = client("dynamodb")
        if logical not in self._keys:
            schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
            self._keys[logical] = [k["AttributeName"] for k in schema]
        keys = self._keys[logical]
        shards: dict[str, list[str]] = {}
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page.get("Items", []):
                day = item.get("day", {}).get("S")
                if not day:
                    key = json.dumps([item.get(k) for k in keys], sort_keys=True)
                    day = f"h{zlib.crc32(key.encode()) % HASH_SHARDS:02d}"
                shards.setdefault(day, []).append(json.dumps(item, sort_keys=True))
        folder = self.folder / "tables" / logical
        for name, lines in shards.items():
            lines.sort()  # scan order is not stable; the digest must only see content
            body = ("\n".join(lines) + "\n").encode()
            digest = hashlib.sha1(body).hexdigest()
            path = folder / f"{name}.jsonl"
            if self._digests.get(f"{logical}/{name}") != digest or not path.exists():
                _atomic_write(path, body)
                self._digests[f"{logical}/{name}"] = digest
                self.files_written += 1
        for path in folder.glob("*.jsonl"):  # a day whose items all expired or were purged
            if path.stem not in shards:
                path.unlink(missing_ok=True)
                self._digests.pop(f"{logical}/{path.stem}", None)
        (self.folder / "tables" / f"{logical}.jsonl").unlink(missing_ok=True)  # the one-file layout
        return sum(len(lines) for lines in shards.values())

    def _save_objects(self) -> int:
        """Copies the objects added or changed since the last pass and drops the deleted ones; the
        index grows by one log line per change, so a pass costs the changes plus one listing."""
        listing = self._listing()
        changed = [key for key, etag in listing.items() if self._etags.get(key) != etag]
        gone = [key for key in self._etags if key not in listing]
        for key in changed:
            body = self._body(key)
            if body is None:  # deleted since the listing: the next pass sees it gone
                listing.pop(key)
                continue
            _atomic_write(self.folder / "objects" / key, body)
        for key in gone:
            (self.folder / "objects" / key).unlink(missing_ok=True)
        lines = [json.dumps([key, listing[key]]) for key in changed if key in listing]
        lines += [json.dumps([key, ""]) for key in gone]
        self._etags = listing
        self._log_index(lines)
        return len(listing)

    def _listing(self) -> dict[str, str]:
        backend = _in_process_backend("s3", self.region)
        if backend is not None:  # the embedded stack: no HTTP listing of a week of keys every pass
            bucket = backend.get_bucket(self.bucket)
            return {
                name: key.etag for name, key in bucket.keys.items() if getattr(key, "etag", None) is not None
            }
        s3, seen = client("s3"), {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for entry in page.get("Contents", []):
                seen[entry["Key"]] = entry["ETag"]
        return seen

    def _body(self, key: str) -> bytes | None:
        s3 = client("s3")
        try:
            return bytes(s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            return None

    def _log_index(self, lines: list[str]) -> None:
        log = self.folder / "objects.log"
        if self._logged > 2 * len(self._etags) + 1000 or not log.exists():  # compact: live keys only
            whole = [json.dumps([key, etag]) for key, etag in self._etags.items()]
            _atomic_write(log, ("\n".join(whole) + "\n").encode() if whole else b"")
            (self.folder / "objects.json").unlink(missing_ok=True)
            self._logged = len(whole)
        elif lines:
            with log.open("a") as file:
                file.write("\n".join(lines) + "\n")
            self._logged += len(lines)


def _in_process_backend(service: str, region: str) -> Any:
    """moto's own backend when the emulator runs in this process (the embedded stack), else None.

    Restoring a week (50 000 frames) through HTTP took 0.5 ms per item and 4.5 ms per object: minutes.
    Called in-process the same operations (PutItem, PutObject) skip signing, serialising and parsing."""
    try:
        if service == "dynamodb":
            from moto.dynamodb.models import dynamodb_backends

            return dynamodb_backends[ACCOUNT][region]
        from moto.s3.models import s3_backends

        return s3_backends[ACCOUNT]["aws"]
    except (ImportError, KeyError):
        return None


@contextlib.contextmanager
def _items_already_checked() -> Iterator[None]:
    """moto re-measures the whole item on every attribute it sets (its 400 KB item limit), which is
    quadratic and took 90% of a restore; these items passed that check when they were first written.
    Only while restoring, before the pipe, the UI or any handler runs."""
    try:
        from moto.dynamodb.models.dynamo_type import LimitedSizeDict
    except ImportError:
        yield
        return
    checked = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign]
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]


@contextlib.contextmanager
def _one_transaction() -> Iterator[None]:
    """When the emulator keeps its items in SQLite (``item_store``), a table's restore is one
    transaction: a commit per item took a third of a 50 000-frame restore."""
    from framewatch.embedded import moto_hooks

    store = moto_hooks.active_item_store()
    if store is None:
        yield
        return
    with store.batch():
        yield


def kept_item_store() -> Any:
    """The emulator's item file when it outlives the process (``item_store.ItemStore(keep=True)``):
    then it is the tables' snapshot, and table files are neither written nor read."""
    from framewatch.embedded import moto_hooks

    store = moto_hooks.active_item_store()
    return store if store is not None and store.keep else None


def kept_key_store() -> Any:
    """The emulator's object index when it outlives the process (``key_store.KeyStore(keep=True)``):
    then it and the kept bodies are the bucket's snapshot."""
    from framewatch.embedded import moto_hooks

    store = moto_hooks.active_key_store()
    return store if store is not None and store.keep else None


def kept_object_count(bucket: str) -> int | None:
    """Objects the bucket holds in the kept object index; None when it has none (no kept index)."""
    from framewatch.embedded.key_store import bucket_keys

    keys = bucket_keys(bucket) if kept_key_store() else None
    return len(keys) if keys is not None else None


def restore(folder: Path, tables: dict[str, str], region: str = "us-east-1") -> dict[str, int]:
    """Put a snapshot's table items back, leaving out expired ones; returns the count per table.

    With a kept item file the tables found their items when they were created: they are counted,
    and table files of an older data dir are put back once (into the file) and removed."""
    counts: dict[str, int] = {}
    now = int(time.time())
    backend = _in_process_backend("dynamodb", region)
    kept = kept_item_store()
    for logical, table in tables.items():
        paths = sorted((folder / "tables" / logical).glob("*.jsonl"))
        paths += [p for p in [folder / "tables" / f"{logical}.jsonl"] if p.exists()]  # one-file layout
        found = kept.table_count(backend.tables[table]) if kept and backend and table in backend.tables else 0
        if found or not paths:
            if found:
                counts[logical] = found
            continue
        items = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line.strip()]
        live = [i for i in items if int(i.get("expires_at", {}).get("N", now + 1)) > now]
        if backend is not None and table in getattr(backend, "tables", {}):
            with _items_already_checked(), _one_transaction():
                for item in live:
                    backend.put_item(table, item, overwrite=True)
        else:
            _batch_write(table, live)
        counts[logical] = len(live)
    if kept is not None:
        shutil.rmtree(folder / "tables", ignore_errors=True)  # now in the kept file
    return counts


def _batch_write(table: str, items: list[dict[str, Any]]) -> None:
    dynamodb = client("dynamodb")
    for start in range(0, len(items), 25):
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def restore_objects(folder: Path, bucket: str, rules: list[str], region: str = "us-east-1") -> int:
    """Put the snapshot's objects back, newest first (what the UI shows first). No EventBridge event
    is sent for them, so a restored enrollment photo does not enrol its face a second time."""
    objects = folder / "objects"
    kept = kept_object_count(bucket)
    if kept or not objects.exists():  # a kept index: the bucket found its objects when created
        return kept or 0
    paths = [p for p in objects.rglob("*") if p.is_file() and not p.name.endswith(".part")]
    paths.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    backend = _in_process_backend("s3", region)
    if backend is not None:
        for path in paths:
            key = path.relative_to(objects).as_posix()
            backend.put_object(bucket, key, path.read_bytes(), disable_notification=True)
        if kept is not None:  # an older data dir's copies, now in the kept index
            shutil.rmtree(objects, ignore_errors=True)
            for index in ("objects.log", "objects.json"):
                (folder / index).unlink(missing_ok=True)
        return len(paths)
    events, s3 = client("events"), client("s3")
    for rule in rules:  # through the API every PutObject is an event: turn the rules off meanwhile
        events.disable_rule(Name=rule)
    try:
        for path in paths:
            s3.put_object(Bucket=bucket, Key=path.relative_to(objects).as_posix(), Body=path.read_bytes())
    finally:
        for rule in rules:
            events.enable_rule(Name=rule)
    return len(paths)
