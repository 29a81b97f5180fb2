"""`framewatch purge --older-than DAYS`: delete frames, alert history and images older than N days.

DynamoDB TTL and the bucket's lifecycle rules already expire data after ``FrameRetentionDays``; this is
for shortening retention after the fact, or for stacks where neither runs (the embedded stack and
LocalStack do not run TTL deletions or lifecycle rules). People and their enrolled faces are never
touched. Capture time decides a frame's age; upload and claim-check objects go by their S3 time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from framewatch.aws import maintenance
from framewatch.ops.resources import StackResources


@dataclass
class PurgeReport:
    frames: int = 0
    alerts: int = 0
    objects: int = 0


def iso(moment: datetime) -> str:
    """The frame records' timestamp format (milliseconds, Z), so strings compare like times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def frame_key_day(key: str) -> date | None:
    """``frames/<camera>/<yyyy>/<mm>/<dd>/<frame>.jpg`` → that capture day."""
    parts = key.split("/")
    if len(parts) < 6 or parts[0] != "frames":
        return None
    try:
        return date(int(parts[2]), int(parts[3]), int(parts[4]))
    except ValueError:
        return None


def purge(
    resources: StackResources,
    older_than_days: float,
    dry_run: bool,
    emit: Callable[[str], None],
    now: datetime | None = None,
) -> PurgeReport:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    cutoff_iso = iso(cutoff)
    report = PurgeReport()
    bucket = resources.media_bucket

    old_frames, old_frame_objects = [], set()
    for item in maintenance.scan(
        resources.frames_table,
        "#c, #k, #t, #b, #s",
        {"#c": "camera_id", "#k": "frame_key", "#t": "captured_at", "#b": "bucket", "#s": "s3_key"},
    ):
        captured = item.get("captured_at", {}).get("S") or item["frame_key"]["S"].split("#", 1)[0]
        if captured < cutoff_iso:
            old_frames.append({"camera_id": item["camera_id"], "frame_key": item["frame_key"]})
            if item.get("bucket", {}).get("S", bucket) == bucket and item.get("s3_key", {}).get("S"):
                old_frame_objects.add(item["s3_key"]["S"])

    old_alerts = []
    for item in maintenance.scan(resources.alerts_table, "#d, #k", {"#d": "day", "#k": "alert_key"}):
        if item["alert_key"]["S"].split("#", 1)[0] < cutoff_iso:
            old_alerts.append({"day": item["day"], "alert_key": item["alert_key"]})

    old_objects = set(old_frame_objects)
    for obj in maintenance.list_objects(bucket, "frames/"):
        day = frame_key_day(obj["Key"])
        if (day is not None and day < cutoff.date()) or (day is None and obj["LastModified"] < cutoff):
            old_objects.add(obj["Key"])
    for prefix in ("uploads/", "claim-check/"):
        listed = maintenance.list_objects(bucket, prefix)
        old_objects |= {o["Key"] for o in listed if o["LastModified"] < cutoff}

    verb = "would delete" if dry_run else "deleted"
    if not dry_run:
        maintenance.delete_items(resources.frames_table, old_frames)
        maintenance.delete_items(resources.alerts_table, old_alerts)
        maintenance.delete_objects(bucket, sorted(old_objects))
    report.frames, report.alerts, report.objects = len(old_frames), len(old_alerts), len(old_objects)
    emit(
        f"{verb} {report.frames} frames, {report.alerts} alerts and {report.objects} objects captured "
        f"before {cutoff_iso} (stack {resources.stack})"
    )
    return report
