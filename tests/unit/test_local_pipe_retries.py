"""The local Pipe's retry rules, as AWS documents them for a Kinesis source: a failed batch is halved
(AUTOMATIC_BISECT) until the one failing record is alone, that record gets MaximumRetryAttempts
retries, records older than MaximumRecordAgeInSeconds are given up, and only what is given up reaches
the dead-letter queue. Enrichment and target are the Pipe's AWS boundary, replaced here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from framewatch.embedded import pipe as pipe_module
from framewatch.embedded.pipe import LocalPipe, PipeStepFailed

SOURCE = "arn:aws:kinesis:us-east-1:000000000000:stream/framewatch-frames"


class ScriptedPipe(LocalPipe):
    """Enrichment fails for the sequence numbers in ``poison`` and for the first ``transient`` calls."""

    def __init__(self, props: dict[str, Any], tmp: Path, poison: set[str], transient: int = 0) -> None:
        super().__init__("frames", props, tmp / "checkpoint.json", "us-east-1")
        self.poison, self.transient = poison, transient
        self.enrich_calls: list[list[str]] = []
        self.analysed: list[str] = []
        self.given_up: list[tuple[list[str], str]] = []

    def _enrich(self, event: list[dict[str, Any]]) -> list[dict[str, Any]]:
        numbers = [r["sequenceNumber"] for r in event]
        self.enrich_calls.append(numbers)
        if self.transient > 0:
            self.transient -= 1
            raise PipeStepFailed("enrichment failed: SlowDown")
        if self.poison & set(numbers):
            raise PipeStepFailed("enrichment failed: AccessDenied")
        return [{"frame": n} for n in numbers]

    def _run_target(self, frames: list[dict[str, Any]]) -> None:
        self.analysed.extend(f["frame"] for f in frames)

    def _dead_letter(self, shard_id: str, records: list[dict[str, Any]], reason: str) -> None:
        self.given_up.append(([r["SequenceNumber"] for r in records], reason))


def props(**kinesis: Any) -> dict[str, Any]:
    params = {"BatchSize": 10, "StartingPosition": "TRIM_HORIZON", **kinesis}
    return {"Source": SOURCE, "Target": "sfn", "SourceParameters": {"KinesisStreamParameters": params}}


def records(count: int, age_seconds: float = 0) -> list[dict[str, Any]]:
    arrived = datetime.now(UTC) - timedelta(seconds=age_seconds)
    return [
        {
            "SequenceNumber": str(n),
            "PartitionKey": "cam",
            "Data": b"{}",
            "ApproximateArrivalTimestamp": arrived,
        }
        for n in range(count)
    ]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipe_module, "RETRY_BASE_SECONDS", 0.0)


def test_bisect_isolates_the_one_failing_record_and_every_other_is_analysed_once(tmp_path: Path):
    pipe = ScriptedPipe(
        props(MaximumRetryAttempts=3, OnPartialBatchItemFailure="AUTOMATIC_BISECT"), tmp_path, {"6"}
    )
    pipe._process("shard-0", records(10))
    assert pipe.analysed == [str(n) for n in range(10) if n != 6]  # once each, in order
    assert [numbers for numbers, _ in pipe.given_up] == [["6"]]
    assert "AccessDenied" in pipe.given_up[0][1]
    assert pipe.enrich_calls.count(["6"]) == 1 + 3  # alone: the first try and MaximumRetryAttempts
    assert pipe.stats.records == 10 and pipe.stats.bisections >= 3


def test_a_transient_failure_is_retried_and_loses_nothing(tmp_path: Path):
    pipe = ScriptedPipe(
        props(MaximumRetryAttempts=3, OnPartialBatchItemFailure="AUTOMATIC_BISECT"), tmp_path, set(), 2
    )
    pipe._process("shard-0", records(10))
    assert pipe.analysed == [str(n) for n in range(10)]
    assert pipe.given_up == []
    assert pipe.stats.batches_failed == 2


def test_without_bisect_the_whole_batch_is_retried_then_given_up(tmp_path: Path):
    pipe = ScriptedPipe(props(MaximumRetryAttempts=2), tmp_path, {"3"})
    pipe._process("shard-0", records(5))
    assert pipe.enrich_calls == [["0", "1", "2", "3", "4"]] * 3
    assert pipe.analysed == []
    assert [numbers for numbers, _ in pipe.given_up] == [["0", "1", "2", "3", "4"]]


def test_records_past_the_maximum_age_are_given_up_without_a_call(tmp_path: Path):
    pipe = ScriptedPipe(props(MaximumRecordAgeInSeconds=60), tmp_path, set())
    pipe._process("shard-0", records(3, age_seconds=120))
    assert pipe.enrich_calls == []
    assert pipe.given_up == [(["0", "1", "2"], "record older than MaximumRecordAgeInSeconds")]


def test_defaults_are_the_documented_ones(tmp_path: Path):
    pipe = LocalPipe("frames", props(), tmp_path / "c.json", "us-east-1")
    assert (pipe.max_retries, pipe.max_record_age, pipe.bisect) == (-1, -1, False)
