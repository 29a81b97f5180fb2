"""Reading a workflow's log group: CloudWatch Logs on AWS, or the same lines in local files.

Step Functions sends an Express execution's history to its log group, one JSON object per history
event (``id``, ``type``, ``details``, ``previous_event_id``, ``event_timestamp``, ``execution_arn``,
``redrive_count``). The embedded stack writes those very lines under its data dir instead
(``EXECUTION_LOG_DIR``, set like an endpoint), one file per log group and day; both readers answer
the same question, so everything above them is one code path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from framewatch.aws.clients import client

LOG_DIR_ENV = "EXECUTION_LOG_DIR"


def group_folder(root: Path, group: str) -> Path:
    """Where a log group's local files live: the group's name as a path under ``root``."""
    return root.joinpath(*[part for part in group.split("/") if part not in ("", ".", "..")])


def day_file(root: Path, group: str, when: datetime) -> Path:
    return group_folder(root, group) / f"{when.astimezone(UTC):%Y-%m-%d}.jsonl"


def entries(
    group: str, pattern: str = "", contains: str = "", start_ms: int | None = None
) -> Iterator[dict[str, Any]]:
    """The log group's JSON entries from ``start_ms`` on, each with ``_ms`` (its event time in epoch
    milliseconds): those CloudWatch's filter ``pattern`` selects, or locally those whose text holds
    ``contains`` (callers check the fields they need either way)."""
    local = os.environ.get(LOG_DIR_ENV)
    raw = _local(Path(local), group, contains, start_ms) if local else _cloudwatch(group, pattern, start_ms)
    for stamp, message in raw:
        try:
            entry = json.loads(message)
        except (ValueError, TypeError):
            continue
        if not isinstance(entry, dict):
            continue
        entry["_ms"] = int(entry.get("event_timestamp") or stamp or 0)
        if start_ms is None or entry["_ms"] >= start_ms:
            yield entry


def _cloudwatch(group: str, pattern: str, start_ms: int | None) -> Iterator[tuple[int, str]]:
    request: dict[str, Any] = {"logGroupName": group}
    if pattern:
        request["filterPattern"] = pattern
    if start_ms is not None:
        request["startTime"] = start_ms
    for page in client("logs").get_paginator("filter_log_events").paginate(**request):
        for event in page.get("events", []):
            yield int(event.get("timestamp") or 0), str(event.get("message", ""))


def _local(root: Path, group: str, contains: str, start_ms: int | None) -> Iterator[tuple[int, str]]:
    folder = group_folder(root, group)
    first_day = (
        f"{datetime.fromtimestamp(start_ms / 1000, UTC):%Y-%m-%d}.jsonl" if start_ms is not None else ""
    )
    for path in sorted(folder.glob("*.jsonl")):
        if path.name < first_day:  # a whole day before the start: skip without reading it
            continue
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if contains in line:  # cheap text test first, as a filter pattern term is
                    yield 0, line
