"""Ingest's pure edges: both Kinesis event shapes become Lambda-shaped records, and a failure reason
becomes the one line sent to the dead-letter queue."""

from __future__ import annotations

import base64
import json

from framewatch.logic.ingest import _reason_line, stream_records

STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/framewatch-frames"
GOOD = json.dumps(
    {
        "v": 1,
        "camera_id": "porch",
        "frame_id": "porch:1",
        "captured_at": "2024-05-01T12:00:00.000Z",
        "seq": 1,
        "width": 2,
        "height": 2,
        "image": base64.b64encode(b"\xff\xd8\xff").decode(),
    }
).encode()


def pipes_record(data: bytes, sequence_number: str, **extra: object) -> dict:
    """One record as EventBridge Pipes hands a Kinesis batch to enrichment: flat, no "kinesis" key."""
    return {
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM_ARN,
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "porch",
        "sequenceNumber": sequence_number,
        "data": base64.b64encode(data).decode(),
        "approximateArrivalTimestamp": 1714564800.123,
        **extra,
    }


def lambda_record(data: bytes, sequence_number: str) -> dict:
    """The same record as a Lambda event-source mapping wraps it."""
    return {
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM_ARN,
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "porch",
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": 1714564800.123,
        },
    }


def test_a_lambda_event_passes_through_unchanged():
    records = [lambda_record(GOOD, "1"), lambda_record(b"junk", "2")]
    assert stream_records({"Records": records}) == records
    assert stream_records({}) == []


def test_pipes_records_are_shaped_like_lambda_records():
    assert stream_records([pipes_record(GOOD, "1")]) == [
        {
            "eventSource": "aws:kinesis",
            "eventSourceARN": STREAM_ARN,
            "eventID": "shardId-000000000000:1",
            "awsRegion": "us-east-1",
            "kinesis": {
                "data": base64.b64encode(GOOD).decode(),
                "partitionKey": "porch",
                "sequenceNumber": "1",
                "approximateArrivalTimestamp": 1714564800.123,
                "kinesisSchemaVersion": "1.0",
            },
        }
    ]


def test_a_sparse_pipes_record_gets_defaults_and_an_already_wrapped_one_is_kept():
    wrapped = lambda_record(GOOD, "7")
    sparse, kept = stream_records([{"data": "e30=", "sequenceNumber": "6"}, wrapped])
    assert kept is wrapped
    assert sparse["eventSource"] == "aws:kinesis"
    assert sparse["kinesis"]["data"] == "e30="
    assert sparse["kinesis"]["kinesisSchemaVersion"] == "1.0"


def test_a_dead_letter_reason_is_one_line():
    assert _reason_line("FrameRecordError: invalid frame record:\n  width: must be > 0") == (
        "FrameRecordError: invalid frame record: width: must be > 0"
    )
