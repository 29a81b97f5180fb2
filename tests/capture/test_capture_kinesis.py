"""End to end against emulated Kinesis and S3 (moto in-process)."""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from capture.session import run_capture, single_camera_options
from framewatch.aws import clients, kinesis, s3
from framewatch.core.frame_record import claim_check_key, parse_frame_record
from framewatch.errors import UserError

# Fast retries so that failure paths finish in well under a second.
FAST_PRODUCER = {
    "retry_initial_s": 0.01,
    "retry_max_s": 0.05,
    "retry_deadline_s": 5.0,
    "flush_timeout_s": 5.0,
}


def _options(source: Path, stream: str, **extra: Any) -> Any:
    producer = {"stream": stream, **FAST_PRODUCER, **extra.pop("producer", {})}
    return single_camera_options(
        str(source),
        extra.pop("camera", "bikes"),
        as_fast_as_possible=True,
        motion={"enabled": False},
        producer=producer,
        status=False,
        **extra,
    )


def _decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return image


def test_bikes_every_5_puts_one_valid_record_per_sampled_frame(
    bikes: Path, stream: str, stream_records: Any
) -> None:
    summary = run_capture(_options(bikes, stream, every=5))

    expected = math.ceil(250 / 5)
    records = [parse_frame_record(data) for data in stream_records(stream)]
    assert len(records) == expected
    assert summary.total("frames_read") == 250
    assert summary.total("frames_sent") == expected
    assert summary.total("frames_failed") == summary.total("frames_dropped") == 0
    assert len({r.frame_id for r in records}) == expected
    by_camera: dict[str, list[int]] = defaultdict(list)
    for record in records:
        assert record.s3_key is None
        image = _decode(record.image_bytes())
        assert image.shape == (272, 640, 3) == (record.height, record.width, 3)
        by_camera[record.camera_id].append(record.seq)
    # One camera = one partition key = one shard, so the stream keeps put order.
    assert list(by_camera) == ["bikes"]
    seqs = by_camera["bikes"]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_a_frame_over_the_record_limit_travels_as_a_claim_check(
    bikes: Path, stream: str, bucket: str, stream_records: Any
) -> None:
    summary = run_capture(
        _options(bikes, stream, every=50, producer={"bucket": bucket, "max_record_bytes": 8 * 1024})
    )

    records = [parse_frame_record(data) for data in stream_records(stream)]
    assert len(records) == 5 == summary.total("claim_checks") == summary.total("frames_sent")
    for record in records:
        assert record.image is None
        assert record.s3_key == claim_check_key(record.camera_id, record.frame_id)
        image = _decode(s3.get_object_bytes(bucket, record.s3_key))
        assert image.shape == (record.height, record.width, 3) == (272, 640, 3)


def test_claim_check_without_a_bucket_counts_frames_as_failed(
    bikes: Path, stream: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        summary = run_capture(
            _options(bikes, stream, every=50, producer={"max_record_bytes": 8 * 1024, "bucket": None})
        )
    assert summary.total("frames_failed") == 5 and summary.total("frames_sent") == 0
    assert "FRAMEWATCH_BUCKET" in caplog.text


class FlakyKinesis:
    """Wraps the moto client like Kinesis under load: the first time it sees a record with an
    odd seq it refuses that entry (ProvisionedThroughputExceededException) and accepts the rest
    of the call; with ``accept_none`` it refuses everything."""

    def __init__(self, real: Any, accept_none: bool = False) -> None:
        self.real = real
        self.accept_none = accept_none
        self.entries_sent = 0
        self.refused = 0
        self._seen: set[bytes] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def _refuse(self, data: bytes) -> bool:
        first_time = data not in self._seen
        self._seen.add(data)
        return self.accept_none or (first_time and json.loads(data)["seq"] % 2 == 1)

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries_sent += len(Records)
        refused = [self._refuse(r["Data"]) for r in Records]
        accepted = [r for r, no in zip(Records, refused, strict=True) if not no]
        real = self.real.put_records(StreamName=StreamName, Records=accepted) if accepted else {}
        accepted_results = iter(real.get("Records", []))
        results = [
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard"}
            if no
            else next(accepted_results)
            for no in refused
        ]
        self.refused += sum(refused)
        return {"FailedRecordCount": sum(refused), "Records": results}


def test_partially_failed_put_records_retries_only_the_failed_entries(
    bikes: Path, stream: str, stream_records: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyKinesis(clients.client("kinesis"))
    monkeypatch.setattr(kinesis, "client", lambda service: flaky)
    summary = run_capture(_options(bikes, stream, every=5))

    records = [parse_frame_record(data) for data in stream_records(stream)]
    assert len(records) == 50 == summary.total("frames_sent")
    assert len({r.frame_id for r in records}) == 50, "a retried record was put twice"
    assert summary.total("frames_failed") == 0
    assert flaky.refused == 25
    # Only refused entries were sent again: every entry once, plus one resend per refusal.
    assert flaky.entries_sent == 50 + flaky.refused


def test_records_still_failing_at_the_deadline_are_counted_loudly(
    bikes: Path, stream: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyKinesis(clients.client("kinesis"), accept_none=True)
    monkeypatch.setattr(kinesis, "client", lambda service: flaky)
    with caplog.at_level(logging.ERROR):
        summary = run_capture(_options(bikes, stream, every=50, producer={"retry_deadline_s": 0.2}))
    sent, failed = summary.total("frames_sent"), summary.total("frames_failed")
    assert (sent, failed) == (0, 5)
    assert "counted as failed" in caplog.text


def test_a_missing_stream_fails_before_capture(bikes: Path, aws: None) -> None:
    with pytest.raises(UserError, match="Kinesis stream nope not found"):
        run_capture(_options(bikes, "nope"))
