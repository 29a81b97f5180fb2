"""`framewatch dlq show|redrive`: what is in the dead-letter queue, and sending it back.

Each message says where it failed (``stage``) and carries what is needed to try again:

- ``ingest``: the original Kinesis record (``data``, base64, when it was at most 150 KB) goes back on
  the stream with its original partition key, so it takes the whole path again.
- ``analyze``: the frame reference goes to AnalyzeFrames as a batch of one, which analyses, records
  and tracks it again (idempotent: same keys; tracking skips frames it already applied).
- ``track``: the batch's frame references go to AnalyzeFrames again, the same way.
- ``alert``: nothing to send back: the alerts stay in the outbox and go out with the camera's next
  batch; the message is a record of the failure.
- ``pipe``: the batch the Pipe gave up on is read again from the stream by its sequence numbers
  (while the stream still retains them) and put back.

A message is deleted only after its redrive succeeded. What could not be redriven stays in the queue
and is reported with the reason. Messages that arrive while the redrive runs (a record that fails
again) are left for the next run, so a redrive always ends.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from framewatch.aws import maintenance, stepfunctions
from framewatch.ops.resources import StackResources

VISIBILITY_SECONDS = 360  # longer than one Express execution may run (5 minutes)


class CannotRedrive(Exception):
    """This message cannot be sent back; it stays in the queue."""


@dataclass
class RedriveReport:
    redriven: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (message id, why)
    left_for_later: int = 0


def summary(body: dict[str, Any]) -> str:
    stage = body.get("stage", "?")
    frame = body.get("frame") or {}
    if stage == "ingest":
        where = f"partition key {body.get('partition_key')}, {body.get('data_bytes', '?')} bytes"
        return f"ingest   {where}: {body.get('reason')}"
    error = body.get("error") or {}
    what = error.get("Error") or error.get("error") or "error"
    if stage == "analyze":
        return f"{stage:<8} {frame.get('camera_id')}/{frame.get('frame_id')}: {what}"
    if stage == "track":
        cameras = sorted({f.get("frame", {}).get("camera_id") for f in body.get("frames") or []} - {None})
        return f"track    {len(body.get('frames') or [])} frames of {', '.join(cameras) or '?'}: {what}"
    if stage == "alert":
        ids = [a.get("alert_id") for a in body.get("alerts") or []]
        return f"alert    {len(ids)} alert(s) {', '.join(map(str, ids[:3]))}: {what}"
    if stage == "pipe":
        return f"pipe     {body.get('records')} records of {body.get('shard_id')}: {body.get('reason')}"
    if stage in ("upload", "enroll"):
        error = body.get("error") or {}
        what = error.get("Error") or "error"
        return f"{stage:<8} {body.get('s3_key')}: {what} {str(error.get('Cause', ''))[:160]}".rstrip()
    return f"{stage:<8} {json.dumps(body)[:200]}"


def peek(url: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages, left in the queue (each is released again right after reading)."""
    seen: dict[str, dict[str, Any]] = {}
    handles: list[str] = []
    try:
        while len(seen) < limit:
            batch = maintenance.receive_messages(url, visibility_seconds=30, wait_seconds=0)
            if not batch:
                break
            for message in batch:
                handles.append(message["ReceiptHandle"])
                seen.setdefault(message["MessageId"], _body(message))
    finally:
        for handle in handles:
            maintenance.release_message(url, handle)
    return list(seen.values())[:limit]


def _body(message: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(message["Body"])
    except ValueError:
        return {"stage": "unknown", "raw": message["Body"][:200]}
    return body if isinstance(body, dict) else {"stage": "unknown", "raw": body}


class Redriver:
    def __init__(self, resources: StackResources, emit: Callable[[str], None]) -> None:
        self.resources = resources
        self.emit = emit
        self._analyze_arn: str | None = None

    def analyze_arn(self) -> str:
        if self._analyze_arn is None:
            from framewatch.ops.executions import state_machine

            self._analyze_arn = state_machine(self.resources, "analyze")
        return self._analyze_arn

    def run(self, url: str, limit: int | None = None, dry_run: bool = False) -> RedriveReport:
        report = RedriveReport()
        if dry_run:
            for body in peek(url, limit or 1000):
                self.emit(f"would redrive: {summary(body)}")
                report.redriven.append(str(body.get("stage")))
            return report
        started_ms = int(time.time() * 1000)
        held: list[str] = []  # receipt handles to release at the end (kept, or arrived during the run)
        seen: set[str] = set()
        try:
            while limit is None or len(report.redriven) + len(report.kept) < limit:
                batch = maintenance.receive_messages(url, VISIBILITY_SECONDS, wait_seconds=1)
                if not batch:
                    break
                for message in batch:
                    handle, message_id = message["ReceiptHandle"], message["MessageId"]
                    sent_ms = int(message.get("Attributes", {}).get("SentTimestamp", "0"))
                    done_enough = limit is not None and len(report.redriven) + len(report.kept) >= limit
                    if message_id in seen or sent_ms > started_ms or done_enough:
                        if message_id not in seen and sent_ms > started_ms:
                            report.left_for_later += 1
                        seen.add(message_id)
                        held.append(handle)
                        continue
                    seen.add(message_id)
                    try:
                        done = self.redrive(_body(message))
                    except CannotRedrive as exc:
                        report.kept.append((message_id, str(exc)))
                        self.emit(f"kept     {message_id}: {exc}")
                        held.append(handle)
                        continue
                    maintenance.delete_message(url, handle)
                    report.redriven.append(message_id)
                    self.emit(f"redriven {message_id}: {done}")
        finally:
            for handle in held:
                maintenance.release_message(url, handle)
        return report

    # one way back per stage -------------------------------------------------------------------
    def redrive(self, body: dict[str, Any]) -> str:
        stage = body.get("stage")
        if stage == "ingest":
            return self._ingest(body)
        if stage == "analyze":
            return self._analyze([body.get("frame")])
        if stage == "track":
            return self._analyze([f.get("frame") for f in body.get("frames") or [] if isinstance(f, dict)])
        if stage == "alert":
            # The alerts stayed in the outbox; the camera's next batch sends them. Nothing to put back.
            return "the alerts wait in the outbox and go out with their camera's next batch"
        if stage == "pipe":
            return self._pipe(body)
        if stage == "upload":
            return self._upload(body)
        if stage == "enroll":
            raise CannotRedrive(
                f"enrollment of {body.get('person_id')} could not be recorded; upload the photo again "
                "from the web UI (People)"
            )
        raise CannotRedrive(f"unknown stage {stage!r}; inspect it with `framewatch dlq show`")

    def _stream_of(self, arn: str | None) -> str:
        return arn.split(":stream/", 1)[1] if arn and ":stream/" in arn else self.resources.stream

    def _ingest(self, body: dict[str, Any]) -> str:
        if not body.get("data"):
            raise CannotRedrive(
                f"the record ({body.get('data_bytes', '?')} bytes) was too large to keep in "
                "the message; send that frame again from its camera"
            )
        try:
            data = base64.b64decode(body["data"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CannotRedrive(f"the kept record is not valid base64: {exc}") from None
        stream = self._stream_of(body.get("event_source_arn"))
        key = str(body.get("partition_key") or "redrive")
        sequence = maintenance.put_record(stream, data, key)
        return f"record put back on {stream} (partition key {key}, sequence {sequence})"

    def _analyze(self, frames: list[Any]) -> str:
        """The frames go through AnalyzeFrames again: records overwrite themselves, and tracking skips
        frames it already applied."""
        if not frames or not all(isinstance(f, dict) and f.get("s3_key") for f in frames):
            raise CannotRedrive("the message carries no frame reference")
        outcome = stepfunctions.run_to_completion(
            self.analyze_arn(), frames, name=f"redrive-{uuid.uuid4().hex[:24]}"
        )
        if not outcome.succeeded:
            raise CannotRedrive(
                f"AnalyzeFrames {outcome.status} again ({outcome.error}: "
                f"{outcome.cause[:200]}); execution {outcome.execution_arn}"
            )
        names = ", ".join(f"{f.get('camera_id')}/{f.get('frame_id')}" for f in frames[:3])
        # A frame that fails again is parked anew by the workflow, as a new message.
        return (
            f"frame(s) {names} analysed again ({outcome.execution_arn}); "
            "a frame that failed again is back in the queue"
        )

    def _upload(self, body: dict[str, Any]) -> str:
        event = body.get("event")
        if not isinstance(event, dict) or "detail" not in event:
            raise CannotRedrive("the message carries no upload event")
        event = {k: v for k, v in event.items() if k != "error"}  # the rule's event, as it first came
        outcome = stepfunctions.run_to_completion(
            self.analyze_arn(), event, name=f"redrive-{uuid.uuid4().hex[:24]}"
        )
        if not outcome.succeeded or not isinstance(outcome.output, list):  # a dict: dead-lettered again
            raise CannotRedrive(
                f"the upload {body.get('s3_key')} failed again ({outcome.error or 'dead-lettered anew'}); "
                f"execution {outcome.execution_arn}"
            )
        return f"upload {body.get('s3_key')} analysed ({outcome.execution_arn})"

    def _pipe(self, body: dict[str, Any]) -> str:
        stream = self._stream_of(body.get("stream_arn"))
        first, last, shard = (
            body.get("first_sequence_number"),
            body.get("last_sequence_number"),
            body.get("shard_id"),
        )
        if not (first and last and shard):
            raise CannotRedrive("the message does not name the batch's shard and sequence numbers")
        try:
            records = maintenance.read_records(stream, shard, str(first), str(last))
        except Exception as exc:  # trimmed from the stream, or the shard is gone
            raise CannotRedrive(f"cannot read the batch back from {stream}: {exc}") from None
        if not records:
            raise CannotRedrive(f"the batch is no longer in {stream} (past its retention)")
        for record in records:
            maintenance.put_record(stream, record["Data"], record["PartitionKey"])
        return f"{len(records)} records put back on {stream}"
