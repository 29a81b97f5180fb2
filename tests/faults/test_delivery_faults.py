"""Issue 7, delivery faults on the embedded stack: replay, throttling, poison records, pipe crash."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from framewatch.aws.clients import client
from framewatch.embedded import pipe as pipe_module
from framewatch.embedded.stack import EmbeddedStack

from ..support.frames import ClipFrames, wait_for
from ..support.frames import frame_record as record
from ..support.frames import put_frames as put
from ..support.s3_faults import throttled_s3_puts
from .conftest import (
    Observed,
    alert_items,
    frame_items,
    incident_items,
    report,
    start_stack,
    start_time,
)


@pytest.fixture(scope="module")
def frames(clip_frames: ClipFrames) -> list[bytes]:
    """A stretch where one car stays in view, so replayed batches have an incident (and alert) to double."""
    bikes = clip_frames("bikes.mp4", [140, 150, 160, 170, 180, 190, 210])
    return [bikes[i] for i in sorted(bikes)]


# Throttled vision calls injected in the throttling test. The first round of a 10-frame batch is
# 8 calls at once (Map MaxConcurrency 4 x the Parallel's 2 branches), so 12 forces a second round:
# several frames back off, some more than once. A task gives up after 6 throttled attempts
# (MaxAttempts 5); 12 throttles over >= 8 concurrent tasks practically never put 6 on one task
# (Monte Carlo of the Retry policy with full jitter: 0 in 200,000 runs; 16 gives 5e-6, 24 gives 2e-3).
THROTTLE_NEXT = 12


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    with start_stack(tmp_path_factory.mktemp("delivery")) as running:
        yield running


@pytest.fixture(scope="module")
def observed(stack: EmbeddedStack) -> Observed:
    return Observed(stack)


def _alert_rows(
    stack: EmbeddedStack, camera: str, frame_ids: set[str] | None = None
) -> list[tuple[str, str]]:
    return sorted(
        (a["alert_key"]["S"], a["status"]["S"])
        for a in alert_items(stack, camera)
        if frame_ids is None or a["frame_id"]["S"] in frame_ids
    )


def _frame_keys(stack: EmbeddedStack, camera: str) -> list[str]:
    return sorted(f["frame_key"]["S"] for f in frame_items(stack, camera))


# ---------------------------------------------------------------------------------------------- replay
def test_replayed_batch_adds_no_frames_and_no_alerts(
    frames: list[bytes], stack: EmbeddedStack, observed: Observed
) -> None:
    camera, t0 = "replay", start_time()
    payloads = [
        record(camera, jpeg, seq=n, at=t0 + timedelta(seconds=n)) for n, jpeg in enumerate(frames[:5])
    ]
    sequence_numbers = put(stack, payloads, camera)
    frames_before, alerts_before = _frame_keys(stack, camera), _alert_rows(stack, camera)
    incidents_before = sorted(i["incident_id"]["S"] for i in incident_items(stack, camera))
    messages_before = len(observed.sns_messages(camera))
    assert len(frames_before) == 5
    assert messages_before >= 1  # something alerted, so "no second alert" means something

    # 1. The pipe delivers the very same batch again (same shard, same sequence numbers), as after
    #    a retry or a lost checkpoint.
    kinesis = client("kinesis")
    shard_id = kinesis.list_shards(StreamName=stack.stream_name)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stack.stream_name,
        ShardId=shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=sequence_numbers[0],
    )["ShardIterator"]
    batch = kinesis.get_records(ShardIterator=iterator, Limit=len(payloads))["Records"]
    assert [r["SequenceNumber"] for r in batch] == sequence_numbers
    executions = len(stack.pipes[0].stats.execution_arns)
    stack.pipes[0]._process(shard_id, batch)
    assert len(stack.pipes[0].stats.execution_arns) == executions + 1  # it really ran again
    # 2. The producer sends the same records again (a PutRecords retry): new sequence numbers.
    put(stack, payloads, camera)

    counts = observed.counts(camera, frames_in=len(payloads))
    counts["deliveries"] = 3
    report("replay", counts)
    assert _frame_keys(stack, camera) == frames_before
    assert _alert_rows(stack, camera) == alerts_before
    assert sorted(i["incident_id"]["S"] for i in incident_items(stack, camera)) == incidents_before
    assert counts["alerts_sent"] == messages_before == counts["alerts_recorded_sent"]
    assert counts["in_dlq"] == 0
    sent = [a for a in alert_items(stack, camera) if a["status"]["S"] == "sent"]
    assert all(n == 1 for n in Counter(a["incident_id"]["S"] for a in sent).values())


# ------------------------------------------------------------------------------------------ throttling
def test_throttled_vision_is_absorbed_by_the_workflow_retry(
    frames: list[bytes], stack: EmbeddedStack, observed: Observed, monkeypatch: pytest.MonkeyPatch
) -> None:
    camera, t0 = "throttle", start_time()
    throttled: Counter[tuple[str, str]] = Counter()  # (function, frame id) -> throttled attempts
    invoke = stack.runtime.invoke

    def watching(function_name: str, arn: str, event: Any) -> tuple[str, bool]:
        payload, errored = invoke(function_name, arn, event)
        if errored and "ProvisionedThroughputExceededException" in payload:
            throttled[(function_name, str(event.get("frame_id")))] += 1
        return payload, errored

    monkeypatch.setattr(stack.runtime, "invoke", watching)
    requests.post(
        f"{stack.vision_url}/_framewatch/faults", json={"throttle_next": THROTTLE_NEXT}, timeout=5
    ).raise_for_status()
    executions = len(stack.pipes[0].stats.execution_arns)
    payloads = [
        record(camera, frames[n % len(frames)], seq=n, at=t0 + timedelta(seconds=n)) for n in range(10)
    ]
    put(stack, payloads, camera)

    arns = list(stack.pipes[0].stats.execution_arns)[executions:]
    sfn = client("stepfunctions")
    history = [
        event
        for arn in arns
        for event in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    ]
    retried = [
        e
        for e in history
        if e["type"] == "TaskFailed"
        and e["taskFailedEventDetails"]["error"] == "ProvisionedThroughputExceededException"
    ]
    counts = observed.counts(camera, frames_in=len(payloads))
    counts.update(
        throttled_calls=sum(throttled.values()),
        throttled_frames=len({f for _, f in throttled}),
        most_throttles_on_one_task=max(throttled.values(), default=0),
        executions=len(arns),
    )
    report("throttling", counts)

    described = [sfn.describe_execution(executionArn=arn) for arn in arns]
    # One PutRecords is usually one batch, but the Pipe may poll while moto is still appending
    # (Kinesis gives no batch boundary either): every batch it made must succeed.
    assert described and {execution["status"] for execution in described} == {"SUCCEEDED"}
    assert all("dead_lettered" not in execution["output"] for execution in described)  # no frame given up
    assert sum(throttled.values()) == THROTTLE_NEXT == len(retried)  # every throttle was retried
    assert counts["throttled_frames"] >= 3, throttled  # backoff across several frames
    assert counts["most_throttles_on_one_task"] >= 2, throttled  # a second, longer backoff too
    assert counts["enriched"] == len(payloads)
    assert counts["in_dlq"] == 0
    assert {f["execution_id"]["S"] for f in frame_items(stack, camera)} == set(arns)  # recorded by it


# ----------------------------------------------------------------------------------- S3 throttles ingest
# The SDK makes 6 attempts per call; 8 throttled answers fail the first frame's write for good (the
# batch fails), then two more of its writes are absorbed by the SDK on the retried halves.
S3_THROTTLES = 8


def test_throttled_ingest_write_is_retried_by_the_pipe_and_loses_nothing(
    frames: list[bytes], stack: EmbeddedStack, observed: Observed
) -> None:
    camera, t0 = "s3-throttle", start_time()
    pipe = stack.pipes[0]
    executions, failed_before = len(pipe.stats.execution_arns), pipe.stats.batches_failed
    payloads = [
        record(camera, frames[n % len(frames)], seq=n, at=t0 + timedelta(seconds=n)) for n in range(10)
    ]
    # The ingest function writes each frame under frames/<camera>/ from its worker process.
    with throttled_s3_puts(f"/frames/{camera}/", times=S3_THROTTLES) as throttle:
        put(stack, payloads, camera)

    arns = list(pipe.stats.execution_arns)[executions:]
    sfn = client("stepfunctions")
    analysed = Counter(
        frame["frame_id"]
        for arn in arns
        for frame in json.loads(sfn.describe_execution(executionArn=arn)["input"])
    )
    counts = observed.counts(camera, frames_in=len(payloads))
    counts.update(
        s3_throttles=throttle.answered,
        failed_batches=pipe.stats.batches_failed - failed_before,
        executions=len(arns),
    )
    report("s3-throttle", counts)

    assert throttle.answered == S3_THROTTLES  # the fault really happened
    assert counts["failed_batches"] >= 1  # ... and failed the batch instead of dead-lettering frames
    assert analysed == Counter(json.loads(p)["frame_id"] for p in payloads)  # each frame analysed once
    assert counts["enriched"] == len(payloads)
    assert counts["in_dlq"] == 0
    assert {f["execution_id"]["S"] for f in frame_items(stack, camera)} <= set(arns)


# ---------------------------------------------------------------------------------------------- poison
def test_poison_records_are_dead_lettered_and_their_neighbours_go_on(
    frames: list[bytes], stack: EmbeddedStack, observed: Observed
) -> None:
    camera, t0 = "poison", start_time()
    huge_key = f"claim-check/{camera}/{uuid.uuid4().hex}.jpg"
    client("s3").put_object(
        Bucket=stack.media_bucket, Key=huge_key, Body=b"\xff\xd8\xff\xe0" + bytes(20 * 1024 * 1024)
    )
    good = [record(camera, frames[n], seq=n, at=t0 + timedelta(seconds=n)) for n in range(5)]
    corrupt = record(camera, b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 50, seq=10, at=t0)
    truncated = good[0][: len(good[0]) // 2]
    future = json.dumps({**json.loads(good[1]), "v": 2, "frame_id": f"{camera}-v2"}).encode()
    oversize = record(camera, None, seq=11, at=t0, s3_key=huge_key)
    empty = record(camera, b"", seq=12, at=t0)
    poison = {
        "corrupt JPEG": corrupt,
        "truncated record": truncated,
        "unknown version": future,
        "20 MB claim-check image": oversize,
        "0-byte frame": empty,
    }
    payloads = [item for pair in zip(good, poison.values(), strict=True) for item in pair]  # interleaved
    sequence_numbers = put(stack, payloads, camera)
    seq_of = dict(zip(payloads, sequence_numbers, strict=True))

    letters = observed.dead_letters(camera)
    counts = observed.counts(camera, frames_in=len(payloads))
    by_seq = {b.get("sequence_number"): b for b in letters if b.get("stage") == "ingest"}
    reasons = {kind: by_seq.get(seq_of[payload], {}).get("reason") for kind, payload in poison.items()}
    if reasons["corrupt JPEG"] is None:  # a JPEG that passes the header check fails in the vision service
        analyze = [b for b in letters if b.get("stage") == "analyze"]
        reasons["corrupt JPEG"] = " ".join(json.dumps(b.get("error")) for b in analyze) or None
    counts["reasons"] = reasons
    report("poison", counts)

    assert counts["enriched"] == len(good)
    assert sorted(f["frame_id"]["S"] for f in frame_items(stack, camera)) == sorted(
        json.loads(g)["frame_id"] for g in good
    )
    assert counts["in_dlq"] == len(poison), letters
    assert "corrupt JPEG" in reasons["corrupt JPEG"] or "InvalidImageFormat" in reasons["corrupt JPEG"]
    assert "not JSON" in reasons["truncated record"] or "invalid frame record" in reasons["truncated record"]
    assert "unsupported record version 2" in reasons["unknown version"]
    assert f"image is {20 * 1024 * 1024 + 4} bytes; the limit is" in reasons["20 MB claim-check image"]
    assert "0 bytes" in reasons["0-byte frame"]
    assert stack.pipes[0].stats.batches_dead_lettered == 0  # no whole batch was given up


# ----------------------------------------------------------------------------------------------- crash
class SimulatedCrash(BaseException):
    """Kills the pipe's shard thread the way a crash would: nothing in the pipe catches it."""


def test_pipe_crash_before_checkpoint_resumes_without_loss_or_duplicate_alerts(
    frames: list[bytes], stack: EmbeddedStack, observed: Observed, monkeypatch: pytest.MonkeyPatch
) -> None:
    logical, deployed_props = next(iter(stack.deployed.pipes.items()))  # type: ignore[union-attr]
    checkpoint_file = stack.data_dir / f"checkpoint-{logical}.json"
    # A 1 s batching window: each PutRecords below is one batch even when the pipe polls while moto
    # is still appending its records (Kinesis draws no batch boundary; the window does, as on AWS).
    props = copy.deepcopy(deployed_props)
    props["SourceParameters"]["KinesisStreamParameters"]["MaximumBatchingWindowInSeconds"] = 1
    for running in stack.pipes:
        running.stop()
    stack.pipes.clear()

    # The dispatcher that will crash: batch 1 completes and is checkpointed; batch 2's execution
    # runs to the end (frames recorded, alerts sent), then the process dies before the checkpoint.
    crashy = pipe_module.LocalPipe(props["Name"], props, checkpoint_file, stack.options.region)
    real_set, checkpoints = crashy.checkpoints.set, []

    def set_then_crash(shard_id: str, sequence_number: str) -> None:
        if checkpoints:
            raise SimulatedCrash(f"killed before checkpointing {sequence_number}")
        checkpoints.append(sequence_number)
        real_set(shard_id, sequence_number)

    monkeypatch.setattr(crashy.checkpoints, "set", set_then_crash)
    hook = threading.excepthook
    monkeypatch.setattr(
        threading, "excepthook", lambda args: None if args.exc_type is SimulatedCrash else hook(args)
    )
    stack.pipes.append(crashy)
    crashy.start()

    t0 = start_time()
    first = [record("crash-a", frames[n], seq=n, at=t0 + timedelta(seconds=n)) for n in range(3)]
    second = [record("crash-b", frames[n], seq=n, at=t0 + timedelta(seconds=n)) for n in range(3)]
    third = [record("crash-b", frames[n], seq=n, at=t0 + timedelta(seconds=n)) for n in range(3, 5)]
    put(stack, first, "crash-a")
    first_checkpoint = json.loads(checkpoint_file.read_text())
    put(stack, second, "crash-b", wait=False)
    wait_for(lambda: not any(t.is_alive() for t in crashy._threads), 120, "the pipe to crash")
    assert crashy.stats.executions_succeeded == 2  # batch 2 was fully analysed before the crash
    assert json.loads(checkpoint_file.read_text()) == first_checkpoint  # ... but never checkpointed
    sent_before_restart = len(observed.sns_messages("crash-b"))
    assert sent_before_restart >= 1
    second_ids = {json.loads(p)["frame_id"] for p in second}
    alerts_before_restart = _alert_rows(stack, "crash-b", second_ids)
    incidents_before_restart = len(incident_items(stack, "crash-b"))

    # Restart: a new dispatcher with the same props and checkpoint file (as EmbeddedStack starts it).
    stack.pipes.remove(crashy)
    restarted = pipe_module.LocalPipe(props["Name"], props, checkpoint_file, stack.options.region)
    stack.pipes.append(restarted)
    restarted.start()
    wait_for(lambda: restarted.stats.records >= len(second), 120, "the replay of the crashed batch")
    # The replayed batch found its frames applied and its alerts sent: nothing new anywhere.
    replayed = observed.counts("crash-b", frames_in=len(second))
    assert replayed["alerts_sent"] == replayed["alerts_recorded_sent"] == sent_before_restart
    assert replayed["incidents"] == incidents_before_restart
    assert _alert_rows(stack, "crash-b", second_ids) == alerts_before_restart
    third_seqs = put(stack, third, "crash-b")

    counts: dict[str, Any] = {
        camera: observed.counts(camera, frames_in=n) for camera, n in (("crash-a", 3), ("crash-b", 5))
    }
    counts["restarted_pipe_records"] = restarted.stats.records
    report("crash", counts)

    assert restarted.stats.records == len(second) + len(third)  # resumed right after batch 1
    assert list(json.loads(checkpoint_file.read_text()).values()) == [third_seqs[-1]]
    for camera, payloads in (("crash-a", first), ("crash-b", second + third)):
        items = frame_items(stack, camera)
        expected = Counter(json.loads(p)["frame_id"] for p in payloads)
        assert Counter(i["frame_id"]["S"] for i in items) == expected  # each frame exactly once
        assert counts[camera]["in_dlq"] == 0
    # The third batch may open incidents of its own; none of them alerted twice.
    assert counts["crash-b"]["alerts_sent"] == counts["crash-b"]["alerts_recorded_sent"]
    assert _alert_rows(stack, "crash-b", second_ids) == alerts_before_restart
    sent = [a for a in alert_items(stack, "crash-b") if a["status"]["S"] == "sent"]
    assert all(n == 1 for n in Counter(a["incident_id"]["S"] for a in sent).values())
