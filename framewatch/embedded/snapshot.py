"""Keeps the embedded stack's data across restarts, through the AWS APIs (not emulator internals).

Every few seconds the snapshotter scans the stack's tables into JSON-lines files and mirrors the media
bucket's objects into a folder, each written atomically. At start, after the template is deployed
and before the pipe runs, the restorer writes them back with BatchWriteItem and PutObject, leaving out
items whose TTL has passed (frames beyond retention). The EventBridge rules are disabled while objects
are put back, so a restored enrollment photo does not enrol its face a second time. Face collections
persist on their own in the vision service's data dir. A crash loses at most one interval.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from framewatch.aws.clients import client

TABLES = ("FramesTable", "PeopleTable", "AlertsTable", "AlertSlotsTable", "IncidentsTable", "TracksTable")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


class Snapshotter(threading.Thread):
    def __init__(self, folder: Path, tables: dict[str, str], bucket: str, interval: float) -> None:
        super().__init__(name="snapshotter", daemon=True)
        self.folder, self.tables, self.bucket, self.interval = folder, tables, bucket, interval
        self.stop_event = threading.Event()
        self.last_error: str | None = None
        self._etags: dict[str, str] = self._load_index()

    def _load_index(self) -> dict[str, str]:
        index = self.folder / "objects.json"
        return json.loads(index.read_text()) if index.exists() else {}

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.save()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(self.interval + 30)
        self.save()  # a clean stop keeps everything

    def save(self) -> None:
        try:
            for logical, table in self.tables.items():
                self._save_table(logical, table)
            self._save_objects()
            self.last_error = None
        except Exception as exc:  # the emulator may be going away under us; try again next time
            self.last_error = str(exc)

    def _save_table(self, logical: str, table: str) -> None:
        pages = client("dynamodb").get_paginator("scan").paginate(TableName=table)
        lines = [json.dumps(item) for page in pages for item in page.get("Items", [])]
        _atomic_write(self.folder / "tables" / f"{logical}.jsonl", ("\n".join(lines) + "\n").encode())

    def _save_objects(self) -> None:
        s3 = client("s3")
        seen: dict[str, str] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for entry in page.get("Contents", []):
                key, etag = entry["Key"], entry["ETag"]
                seen[key] = etag
                if self._etags.get(key) != etag:
                    body = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                    _atomic_write(self.folder / "objects" / key, body)
        for key in set(self._etags) - set(seen):
            (self.folder / "objects" / key).unlink(missing_ok=True)
        self._etags = seen
        _atomic_write(self.folder / "objects.json", json.dumps(seen).encode())


def restore(folder: Path, tables: dict[str, str], bucket: str, rules: list[str]) -> dict[str, int]:
    """Put a snapshot back; returns how many items/objects per kind were restored."""
    counts: dict[str, int] = {}
    now = int(time.time())
    dynamodb = client("dynamodb")
    for logical, table in tables.items():
        path = folder / "tables" / f"{logical}.jsonl"
        if not path.exists():
            continue
        items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        live = [i for i in items if int(i.get("expires_at", {}).get("N", now + 1)) > now]
        for start in range(0, len(live), 25):
            request: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in live[start : start + 25]]}
            while request:
                request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        counts[logical] = len(live)
    objects = folder / "objects"
    if objects.exists():
        events, s3 = client("events"), client("s3")
        for rule in rules:
            events.disable_rule(Name=rule)
        try:
            restored = 0
            for path in objects.rglob("*"):
                if path.is_file() and not path.name.endswith(".part"):
                    key = path.relative_to(objects).as_posix()
                    s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
                    restored += 1
            counts["objects"] = restored
        finally:
            for rule in rules:
                events.enable_rule(Name=rule)
    return counts
