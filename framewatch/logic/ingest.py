"""Ingest: one Kinesis frame record → JPEG in S3 → frame reference.

Only a record's own content (not JSON, unknown version, invalid fields, empty, oversize, not a JPEG,
corrupt) makes it a dead letter. Anything else (S3 throttling, a 5xx, a timeout, access denied) is
the world's fault, not the frame's: it propagates, the whole batch fails, and the Pipe retries and
bisects it (``OnPartialBatchItemFailure: AUTOMATIC_BISECT``), so a retry can still save the frame.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from framewatch.core.frame_record import FrameRecordError, frame_object_key, parse_frame_record
from framewatch.core.frame_ref import FrameRef, ref_for_record
from framewatch.imaging import BadImage, image_size
from framewatch.logic.ports import DeadLetters, ObjectStore
from framewatch.settings import IngestSettings

JPEG_MAGIC = b"\xff\xd8\xff"
# SQS messages top out at 256 KiB; keep the raw record only when it fits with room to spare.
MAX_DEAD_LETTER_DATA = 150 * 1024


class PoisonFrame(ValueError):
    """A record that parses but whose image cannot be used."""


# What a frame can be blamed for; every other exception fails the batch so that it is retried.
CONTENT_ERRORS = (FrameRecordError, PoisonFrame)


@dataclass
class IngestedBatch:
    refs: list[FrameRef] = field(default_factory=list)
    rejected: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (record, reason)


def ingest_batch(
    records: list[dict[str, Any]], store: ObjectStore, settings: IngestSettings
) -> IngestedBatch:
    """Ingest every record of a batch (Lambda-shaped, see ``stream_records``). Records with bad content
    are set aside with their reason; any other error propagates before a dead letter is sent, so a
    retried batch does not dead-letter its poison records twice."""
    batch = IngestedBatch()
    for record in records:
        try:
            batch.refs.append(ingest_record(_record_data(record), store, settings))
        except CONTENT_ERRORS as exc:
            batch.rejected.append((record, f"{type(exc).__name__}: {exc}"))
    return batch


def _record_data(record: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(record.get("kinesis", {}).get("data", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FrameRecordError(f"record data is not base64: {exc}") from exc


def stream_records(event: list[dict[str, Any]] | dict[str, Any]) -> list[dict[str, Any]]:
    """Pipes hand enrichment a flat list of Kinesis records; Lambda event-source mappings wrap them
    as ``{"Records": [{"kinesis": {...}}]}``. Accept both, shaped the way Powertools expects."""
    if isinstance(event, dict):
        return list(event.get("Records", []))
    shaped = []
    for record in event:
        if "kinesis" in record:
            shaped.append(record)
            continue
        shaped.append(
            {
                "eventSource": record.get("eventSource", "aws:kinesis"),
                "eventSourceARN": record.get("eventSourceARN", ""),
                "eventID": record.get("eventID", ""),
                "awsRegion": record.get("awsRegion", ""),
                "kinesis": {
                    "data": record.get("data", ""),
                    "partitionKey": record.get("partitionKey", ""),
                    "sequenceNumber": record.get("sequenceNumber", ""),
                    "approximateArrivalTimestamp": record.get("approximateArrivalTimestamp", 0),
                    "kinesisSchemaVersion": record.get("kinesisSchemaVersion", "1.0"),
                },
            }
        )
    return shaped


def ingest_record(data: bytes, store: ObjectStore, settings: IngestSettings) -> FrameRef:
    record = parse_frame_record(data)
    if record.s3_key is not None:
        # Claim-check: the capture client stored the full image under claim-check/, which expires in a
        # day; the frame lives FrameRetentionDays, so its image is copied to the frame's own key.
        _check_jpeg(store.get_object_bytes(settings.media_bucket, record.s3_key), settings)
        key = frame_object_key(record.camera_id, record.frame_id, record.captured_at)
        store.copy_object(settings.media_bucket, record.s3_key, key)
    else:
        image = record.image_bytes()
        _check_jpeg(image, settings)
        key = frame_object_key(record.camera_id, record.frame_id, record.captured_at)
        store.put_object(settings.media_bucket, key, image, "image/jpeg")
    return ref_for_record(
        record, bucket=settings.media_bucket, s3_key=key, retention_days=settings.frame_retention_days
    )


def _check_jpeg(image: bytes, settings: IngestSettings) -> None:
    if not image:
        raise PoisonFrame("image is empty (0 bytes)")
    if len(image) > settings.max_image_bytes:
        raise PoisonFrame(f"image is {len(image)} bytes; the limit is {settings.max_image_bytes}")
    if not image.startswith(JPEG_MAGIC):
        raise PoisonFrame("image is not a JPEG")
    try:
        image_size(image)
    except BadImage as exc:
        raise PoisonFrame(f"corrupt JPEG: {exc}") from exc


def dead_letter(record: dict[str, Any], reason: str, dead_letters: DeadLetters) -> None:
    """Send a rejected record to the dead-letter queue with its reason (and its data, if it fits)."""
    kinesis = record.get("kinesis", {})
    data = kinesis.get("data", "")
    body: dict[str, Any] = {
        "stage": "ingest",
        "reason": _reason_line(reason),
        "event_source_arn": record.get("eventSourceARN"),
        "partition_key": kinesis.get("partitionKey"),
        "sequence_number": kinesis.get("sequenceNumber"),
        "data_bytes": _decoded_length(data),
    }
    if len(data) <= MAX_DEAD_LETTER_DATA:
        body["data"] = data  # base64 as received, so `framewatch dlq redrive` can put it back
    dead_letters.send(body)


def _reason_line(reason: str) -> str:
    return " ".join(reason.split())  # one line in `framewatch dlq show`


def _decoded_length(data: str) -> int | None:
    try:
        return len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return None


__all__ = [
    "CONTENT_ERRORS",
    "FrameRecordError",
    "IngestedBatch",
    "PoisonFrame",
    "dead_letter",
    "ingest_batch",
    "ingest_record",
    "stream_records",
]
