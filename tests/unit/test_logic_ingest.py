"""Ingest with fake ports: each good record's JPEG is stored under its frame key; a record's own bad
content is set aside with its reason; a store failure is not the record's fault and fails the batch."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from framewatch.core.frame_record import FrameRecord, claim_check_key
from framewatch.logic.ingest import MAX_DEAD_LETTER_DATA, dead_letter, ingest_batch, stream_records
from framewatch.settings import IngestSettings

from .pipeline_fakes import InMemoryObjects, ListDeadLetters, MissingObject, jpeg

SETTINGS = IngestSettings(media_bucket="media", dead_letter_queue_url="q", max_image_bytes=4000)
AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
FRAME_KEY = "frames/porch/2026/05/01/porch-{seq}.jpg"


JPEG = jpeg()


def record(seq: int, image: bytes | None = JPEG, **overrides: Any) -> bytes:
    fields: dict[str, Any] = dict(
        camera_id="porch",
        frame_id=f"porch-{seq}",
        captured_at=AT,
        seq=seq,
        width=64,
        height=48,
        image=base64.b64encode(image).decode() if image is not None else None,
    )
    fields.update(overrides)
    return FrameRecord(**fields).to_json()


def batch_of(*payloads: bytes) -> list[dict[str, Any]]:
    pipes = [
        {"partitionKey": "porch", "sequenceNumber": str(n), "data": base64.b64encode(data).decode()}
        for n, data in enumerate(payloads)
    ]
    return stream_records(pipes)


def test_a_good_frame_is_stored_under_its_frame_key_and_referenced() -> None:
    objects = InMemoryObjects()
    batch = ingest_batch(batch_of(record(1)), objects, SETTINGS)
    [ref] = batch.refs
    assert (ref.frame_id, ref.bucket, ref.s3_key) == ("porch-1", "media", FRAME_KEY.format(seq=1))
    assert objects.objects[("media", ref.s3_key)] == (jpeg(), "image/jpeg")
    assert batch.rejected == []


def test_a_claim_checked_frame_is_copied_to_its_frame_key() -> None:
    objects = InMemoryObjects()
    parked = claim_check_key("porch", "porch-2")
    objects.put_object("media", parked, jpeg(), "image/jpeg")
    [ref] = ingest_batch(batch_of(record(2, image=None, s3_key=parked)), objects, SETTINGS).refs
    assert ref.s3_key == FRAME_KEY.format(seq=2)
    assert objects.objects[("media", ref.s3_key)][0] == jpeg()


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (b"", "PoisonFrame: image is empty (0 bytes)"),
        (b"\xff\xd8\xff" + bytes(5000), "PoisonFrame: image is 5003 bytes; the limit is 4000"),
        (b"GIF89a" + bytes(20), "PoisonFrame: image is not a JPEG"),
        (b"\xff\xd8\xff" + b"x" * 40, "PoisonFrame: corrupt JPEG"),
    ],
)
def test_bad_content_is_set_aside_with_its_reason_and_its_neighbours_stored(
    image: bytes, reason: str
) -> None:
    objects = InMemoryObjects()
    batch = ingest_batch(batch_of(record(1), record(2, image=image), record(3)), objects, SETTINGS)
    assert [ref.frame_id for ref in batch.refs] == ["porch-1", "porch-3"]
    [(rejected, why)] = batch.rejected
    assert rejected["kinesis"]["sequenceNumber"] == "1" and why.startswith(reason)
    assert ("media", FRAME_KEY.format(seq=2)) not in objects.objects


def test_records_that_are_not_frames_are_set_aside() -> None:
    not_base64 = {"kinesis": {"data": "%%%", "sequenceNumber": "7"}}
    wrong_version = json.dumps({**json.loads(record(4)), "v": 2}).encode()
    batch = ingest_batch([*batch_of(b"not json", wrong_version), not_base64], InMemoryObjects(), SETTINGS)
    reasons = [why for _, why in batch.rejected]
    assert reasons[0].startswith("FrameRecordError: record is not JSON")
    assert "unsupported record version 2" in reasons[1]
    assert reasons[2].startswith("FrameRecordError: record data is not base64")


def test_a_store_failure_fails_the_whole_batch() -> None:
    # A missing claim-check object is the store's answer, not the record's content: the Pipe retries.
    objects = InMemoryObjects()
    with pytest.raises(MissingObject):
        ingest_batch(
            batch_of(record(1), record(2, image=None, s3_key="claim-check/porch/x.jpg")), objects, SETTINGS
        )


def test_a_dead_letter_carries_the_reason_and_the_record_to_redrive() -> None:
    dead_letters = ListDeadLetters()
    [rejected] = batch_of(b"not json")
    dead_letter(rejected, "FrameRecordError: record is\nnot JSON", dead_letters)
    [body] = dead_letters.bodies
    assert body["stage"] == "ingest" and body["reason"] == "FrameRecordError: record is not JSON"
    assert (body["partition_key"], body["sequence_number"], body["data_bytes"]) == ("porch", "0", 8)
    assert base64.b64decode(body["data"]) == b"not json"


def test_a_dead_letter_leaves_out_data_too_large_for_the_queue() -> None:
    dead_letters = ListDeadLetters()
    [rejected] = batch_of(bytes(MAX_DEAD_LETTER_DATA))  # base64 makes it a third larger
    dead_letter(rejected, "PoisonFrame: too big", dead_letters)
    [body] = dead_letters.bodies
    assert "data" not in body and body["data_bytes"] == MAX_DEAD_LETTER_DATA
