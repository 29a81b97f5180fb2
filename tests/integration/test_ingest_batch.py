"""Ingest through its S3 and SQS adapters against emulated S3 and SQS (moto): only a frame's own
content makes a dead letter; an S3 fault fails the whole batch (so the Pipe retries it) and sends
nothing to the queue."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from framewatch.aws import clients
from framewatch.aws.s3 import S3Objects
from framewatch.aws.sqs import SqsDeadLetters
from framewatch.core.frame_record import FrameRecord, claim_check_key
from framewatch.logic.ingest import dead_letter, ingest_batch, stream_records
from framewatch.settings import PipelineSettings

from ..support.frames import ClipFrames
from ..support.s3_faults import throttled_s3

BUCKET = "media"
AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineSettings]:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        clients.reset()
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        queue = boto3.client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
        yield PipelineSettings(
            media_bucket=BUCKET,
            frames_table="f",
            people_table="p",
            alerts_table="a",
            alert_slots_table="s",
            incidents_table="i",
            tracks_table="t",
            dead_letter_queue_url=queue,
        )
    clients.reset()


def pipes_record(data: bytes, seq: int) -> dict:
    return {"partitionKey": "porch", "sequenceNumber": str(seq), "data": base64.b64encode(data).decode()}


@pytest.fixture(scope="module")
def jpeg(clip_frames: ClipFrames) -> bytes:
    return clip_frames("bikes.mp4", [0])[0]


@pytest.fixture
def frame(jpeg: bytes) -> Callable[..., bytes]:
    def build(seq: int, **overrides: object) -> bytes:
        fields: dict = dict(
            camera_id="porch",
            frame_id=f"porch-{seq}",
            captured_at=AT,
            seq=seq,
            width=640,
            height=272,
            image=base64.b64encode(jpeg).decode(),
        )
        fields.update(overrides)
        return FrameRecord(**fields).to_json()

    return build


def dead_letters(settings: PipelineSettings) -> list[dict]:
    sqs = boto3.client("sqs")
    found = sqs.receive_message(QueueUrl=settings.dead_letter_queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in found.get("Messages", [])]


def test_bad_content_is_set_aside_with_its_reason_and_the_rest_is_stored(
    settings: PipelineSettings, frame: Callable[..., bytes]
) -> None:
    event = [
        pipes_record(frame(1), 1),
        pipes_record(b"not json", 2),
        pipes_record(frame(3, image=base64.b64encode(b"\xff\xd8\xff" + b"x" * 40).decode()), 3),
        pipes_record(json.dumps({**json.loads(frame(4)), "v": 2}).encode(), 4),
    ]
    batch = ingest_batch(stream_records(event), S3Objects(), settings)
    assert [ref.frame_id for ref in batch.refs] == ["porch-1"]
    reasons = {r["kinesis"]["sequenceNumber"]: reason for r, reason in batch.rejected}
    assert reasons["2"].startswith("FrameRecordError: record is not JSON")
    assert reasons["3"].startswith("PoisonFrame: corrupt JPEG")
    assert "unsupported record version 2" in reasons["4"]
    for record, reason in batch.rejected:
        dead_letter(record, reason, SqsDeadLetters(settings.dead_letter_queue_url))
    assert sorted(b["sequence_number"] for b in dead_letters(settings)) == ["2", "3", "4"]


def test_an_s3_throttle_fails_the_whole_batch_and_dead_letters_nothing(
    settings: PipelineSettings, frame: Callable[..., bytes]
) -> None:
    event = [pipes_record(frame(n), n) for n in range(3)] + [pipes_record(b"not json", 9)]
    # The SDK retries a throttle itself (6 attempts in all): here all six are throttled, as in a storm.
    with (
        throttled_s3(clients.client("s3"), "PutObject", times=6) as throttle,
        pytest.raises(ClientError) as raised,
    ):
        ingest_batch(stream_records(event), S3Objects(), settings)
    assert raised.value.response["Error"]["Code"] == "SlowDown"
    assert throttle.answered == 6  # the SDK's retries were used before giving up
    assert dead_letters(settings) == []  # neither the throttled frames nor the poison record

    retried = ingest_batch(stream_records(event), S3Objects(), settings)  # the Pipe's retry: all frames saved
    assert [ref.frame_id for ref in retried.refs] == ["porch-0", "porch-1", "porch-2"]
    assert len(retried.rejected) == 1


def test_a_claim_checked_frame_is_copied_to_its_frames_key(
    settings: PipelineSettings, frame: Callable[..., bytes], jpeg: bytes
) -> None:
    key = claim_check_key("porch", "porch-7")
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=jpeg)
    batch = ingest_batch(
        stream_records([pipes_record(frame(7, image=None, s3_key=key), 7)]), S3Objects(), settings
    )
    (ref,) = batch.refs
    assert ref.s3_key.startswith("frames/porch/") and ref.s3_key != key
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=ref.s3_key)["Body"].read()
    assert stored == jpeg  # the frame keeps its image after the claim-check/ copy expires
