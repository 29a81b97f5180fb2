"""What AWS expires on its own, the embedded stack expires too, so a week-long `up` stays bounded.

A periodic sweep applies what the template declares, read back through the AWS APIs: the media
bucket's lifecycle rules (``frames/`` after ``FrameRetentionDays``, ``claim-check/`` after a day),
each table's TTL attribute (items whose ``expires_at`` passed), the log groups' ``RetentionInDays``
(the execution history files, one per day). Some things have no API to expire them and live only in
the emulator's memory: Kinesis records past the stream's retention period (24 h, as AWS keeps them)
and the SNS sink queue's messages past their retention period, the CloudWatch data points Kinesis
reports on every PutRecords (rolled into one aggregate per minute, kept 15 days, as CloudWatch stores
them), and moto's own record of every SNS message and delivery certificate (the newest hundred
kept); for those the sweep trims moto's own lists, guarded (an emulator without them is left alone
and the sweep says so once).

Like AWS's own lifecycle and TTL processes, the sweep finds what expired in the stores that hold it
(the object index, the item store), not by listing a bucket or scanning a table through the API: a
Scan rebuilt a page of items at a time as Python objects, about 15 MB at once for a thousand frames,
and every sweep's burst left the process a little bigger. It deletes through the API.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from framewatch.aws import logs
from framewatch.aws.clients import client
from framewatch.embedded import emulator_storage, item_store, key_store
from framewatch.embedded.deployer import ACCOUNT_ID
from framewatch.embedded.stream_store import ShardRecords

LOG = logging.getLogger(__name__)
# Every minute: the emulator-only lists grow by a minute's worth between passes, not five minutes'
# (each pass is a few indexed queries and in-memory trims).
SWEEP_SECONDS = 60.0
SNS_RECORDS_KEPT = 100  # published messages per topic, delivery certificates (a few minutes' alerts)
METRIC_DAYS = 15  # how long CloudWatch keeps a metric's one-minute data points


class RetentionSweeper(threading.Thread):
    def __init__(
        self,
        *,
        bucket: str,
        tables: list[str],
        stream: str,
        log_root: Path,
        log_groups: dict[str, int],
        sink_queue_url: str | None = None,
        region: str = "us-east-1",
        interval: float = SWEEP_SECONDS,
    ) -> None:
        super().__init__(name="retention-sweeper", daemon=True)
        self.bucket, self.tables, self.stream = bucket, tables, stream
        self.log_root, self.log_groups = log_root, log_groups
        self.sink_queue_url, self.region, self.interval = sink_queue_url, region, interval
        self.stop_event = threading.Event()
        self.totals: dict[str, int] = {}
        self.last_error: str | None = None

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sweep()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(30)

    def sweep(self, now: datetime | None = None) -> dict[str, int]:
        """One pass; returns what it deleted per kind (also added to ``totals``)."""
        now = now or datetime.now(UTC)
        done: dict[str, int] = {}
        for kind, step in (
            ("objects", self._expire_objects),
            ("items", self._expire_items),
            ("log_files", self._expire_log_files),
            ("stream_records", self._trim_stream),
            ("sink_messages", self._trim_sink),
            ("sns_records", self._trim_sns_records),
            ("metric_points", self._trim_metrics),
        ):
            try:
                done[kind] = step(now)
            except Exception as exc:  # the emulator may be stopping; the next pass tries again
                self.last_error = f"{kind}: {type(exc).__name__}: {exc}"
                done[kind] = 0
        for kind, count in done.items():
            self.totals[kind] = self.totals.get(kind, 0) + count
        return done

    # ---------------------------------------------------------------- through the AWS APIs
    def _expire_objects(self, now: datetime) -> int:
        s3 = client("s3")
        rules = s3.get_bucket_lifecycle_configuration(Bucket=self.bucket).get("Rules", [])
        deleted = 0
        for rule in rules:
            days = (rule.get("Expiration") or {}).get("Days")
            if rule.get("Status") != "Enabled" or not days:
                continue
            prefix = (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix", ""))
            cutoff = now - timedelta(days=int(days))
            keys = key_store.bucket_keys(self.bucket)
            if keys is not None:  # as S3's lifecycle engine: from its own index, not a week's listing
                expired = keys.expired(prefix, cutoff.timestamp())
            else:
                pages = s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
                expired = [
                    o["Key"] for p in pages for o in p.get("Contents", []) if o["LastModified"] < cutoff
                ]
            for start in range(0, len(expired), 1000):
                chunk = [{"Key": key} for key in expired[start : start + 1000]]
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})
            deleted += len(expired)
        return deleted

    def _expire_items(self, now: datetime) -> int:
        dynamodb = client("dynamodb")
        deleted = 0
        for table in self.tables:
            ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") != "ENABLED":
                continue
            items = item_store.table_items(table, self.region)
            if items is not None:  # as DynamoDB's TTL process: from the table's storage, no Scan
                expired = items.expired_keys(ttl["AttributeName"], int(now.timestamp()))
            else:
                expired = self._scan_expired(table, ttl["AttributeName"], now)
            for start in range(0, len(expired), 25):
                request: dict[str, Any] = {
                    table: [{"DeleteRequest": {"Key": key}} for key in expired[start : start + 25]]
                }
                while request:
                    request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            deleted += len(expired)
        return deleted

    def _scan_expired(self, table: str, attribute: str, now: datetime) -> list[dict[str, Any]]:
        """The keys of the items past their TTL, found with a Scan (an emulator without a store)."""
        dynamodb = client("dynamodb")
        keys = [k["AttributeName"] for k in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
        names = {f"#k{n}": key for n, key in enumerate(keys)}
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=table,
            FilterExpression="#ttl < :now",
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames={**names, "#ttl": attribute},
            ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
        )
        return [item for page in pages for item in page.get("Items", [])]

    def _expire_log_files(self, now: datetime) -> int:
        deleted = 0
        for group, days in self.log_groups.items():
            oldest = f"{now - timedelta(days=days):%Y-%m-%d}.jsonl"
            for path in logs.group_folder(self.log_root, group).glob("*.jsonl"):
                if path.name < oldest:
                    path.unlink(missing_ok=True)
                    deleted += 1
        return deleted

    # ---------------------------------------------------------------- emulator memory (guarded)
    def _trim_stream(self, now: datetime) -> int:
        try:
            from moto.kinesis.models import kinesis_backends

            stream = kinesis_backends[ACCOUNT_ID][self.region].streams[self.stream]
            shards = list(stream.shards.values())
            hours = int(stream.retention_period_hours)
        except (ImportError, KeyError, AttributeError):
            return 0
        cutoff = now.timestamp() - hours * 3600
        trimmed = 0
        for shard in shards:
            records = shard.records
            if isinstance(records, ShardRecords):  # spilled to disk: deleted from its index
                trimmed += records.drop_before(cutoff)
                continue
            kept = OrderedDict((seq, r) for seq, r in list(records.items()) if r.created_at >= cutoff)
            if len(kept) != len(records):
                trimmed += len(records) - len(kept)
                shard.records = kept  # one swap: a reader iterating the old dict is not disturbed
        if emulator_storage.segments is not None:  # the trimmed records' data on disk
            emulator_storage.segments.drop_before(cutoff)
        return trimmed

    def _trim_metrics(self, now: datetime) -> int:
        """Kinesis reports every PutRecords to CloudWatch as raw data points (several per call, ~70 000
        an hour at 5 fps). CloudWatch stores such standard-resolution metrics as one aggregate per
        minute, kept 15 days; the emulator does the same here: the raw points of each past minute
        become one statistic set (sum, min, max, count), which GetMetricStatistics reads unchanged."""
        try:
            from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum, cloudwatch_backends

            backend = cloudwatch_backends[ACCOUNT_ID][self.region]
            points = list(backend.metric_data)
        except (ImportError, KeyError, AttributeError):
            return 0
        this_minute = now.replace(second=0, microsecond=0)
        expired_before = now - timedelta(days=METRIC_DAYS)

        def when(point: Any) -> datetime:
            stamp = getattr(point, "timestamp", None) or now
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)  # the emulator's are naive UTC

        kept: list[Any] = []
        minutes: dict[tuple[Any, ...], list[float]] = {}
        for point in points:
            stamp = when(point)
            if stamp < expired_before:
                continue
            if stamp >= this_minute or not isinstance(point, MetricDatum):  # filling, or already rolled
                kept.append(point)
                continue
            dimensions = tuple((d.name, d.value) for d in point.dimensions)
            minute = stamp.replace(second=0, microsecond=0)
            key = (point.namespace, point.name, dimensions, point.unit, minute)
            minutes.setdefault(key, []).append(float(point.value))
        for (namespace, name, dimensions, unit, minute), values in minutes.items():
            kept.append(
                MetricAggregatedDatum(
                    namespace=namespace,
                    name=name,
                    min_stat=min(values),
                    max_stat=max(values),
                    sample_count=float(len(values)),
                    sum_stat=sum(values),
                    dimensions=[{"Name": n, "Value": v} for n, v in dimensions],
                    timestamp=minute.replace(tzinfo=None),
                    unit=unit,
                )
            )
        # One swap, as for the stream; points appended while this ran are carried over (one put in
        # the instant between this read and the swap could be lost: a metric point, not a frame).
        backend.metric_data = kept + backend.metric_data[len(points) :]
        return len(points) - len(kept)

    def _trim_sink(self, now: datetime) -> int:
        if not self.sink_queue_url:
            return 0
        try:
            from moto.sqs.models import sqs_backends

            name = self.sink_queue_url.rsplit("/", 1)[1]
            queue = sqs_backends[ACCOUNT_ID][self.region].queues[name]
            period = int(queue.message_retention_period)  # type: ignore[attr-defined]
            messages, lock = queue._messages, queue._messages_lock
        except (ImportError, KeyError, AttributeError):
            return 0
        cutoff_ms = (now.timestamp() - period) * 1000
        with lock:
            kept = [m for m in messages if (m.sent_timestamp or 0) >= cutoff_ms]
            trimmed = len(messages) - len(kept)
            if trimmed:
                queue._messages = kept
        return trimmed

    def _trim_sns_records(self, now: datetime) -> int:
        """moto keeps every message a topic published and the certificate of every signed delivery
        (about 3 KB an alert, for ever); no SNS API reads either back, only moto's own test helpers.
        The newest ``SNS_RECORDS_KEPT`` of each stay."""
        try:
            from moto.sns.models import sns_backends

            backend = sns_backends[ACCOUNT_ID][self.region]
            topics, certificates = list(backend.topics.values()), backend._message_public_keys
        except (ImportError, KeyError, AttributeError):
            return 0
        trimmed = 0
        for topic in topics:
            sent = topic.sent_notifications
            if len(sent) > SNS_RECORDS_KEPT:
                trimmed += len(sent) - SNS_RECORDS_KEPT
                del sent[: len(sent) - SNS_RECORDS_KEPT]  # in place: publishers append to this list
        for name in list(certificates)[: max(0, len(certificates) - SNS_RECORDS_KEPT)]:
            certificates.pop(name, None)  # oldest first: a dict keeps insertion order
            trimmed += 1
        return trimmed
