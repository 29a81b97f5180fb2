"""Ingest's pure edges: both Kinesis event shapes become records Powertools' batch processor accepts,
and Powertools' failure reasons become the one-line reason sent to the dead-letter queue."""

from __future__ import annotations

import base64
import json

import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from framewatch.core.frame_record import parse_frame_record
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


@pytest.mark.parametrize("shape", ["pipes", "lambda"])
def test_powertools_processes_either_shape_and_fails_only_the_bad_record(shape: str):
    make = pipes_record if shape == "pipes" else lambda_record
    event = [make(GOOD, "100"), make(b"not json", "200")]
    records = stream_records(event if shape == "pipes" else {"Records": event})

    def record_handler(record: KinesisStreamRecord) -> str:
        return parse_frame_record(record.kinesis.data_as_bytes()).frame_id

    processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
    with processor(records=records, handler=record_handler):
        outcomes = processor.process()

    assert len(outcomes) == 2
    assert outcomes[0][:2] == ("success", "porch:1")
    status, reason, failed = outcomes[1]
    assert status == "fail"
    assert failed["kinesis"]["sequenceNumber"] == "200"
    assert processor.response() == {"batchItemFailures": [{"itemIdentifier": "200"}]}
    line = _reason_line(reason)
    assert line.startswith("FrameRecordError: record is not JSON: ")
    assert "\n" not in line


@pytest.mark.parametrize(
    ("reason", "line"),
    [
        (
            "<class 'framewatch.logic.ingest.PoisonFrame'>:corrupt JPEG: bad marker 0xd9",
            "PoisonFrame: corrupt JPEG: bad marker 0xd9",
        ),
        ("<class 'ValueError'>:boom", "ValueError: boom"),
        ("no class prefix at all", "no class prefix at all"),
    ],
)
def test_reason_line_keeps_the_class_name_and_the_whole_message(reason: str, line: str):
    assert _reason_line(reason) == line
