"""The EventBridge Pipe of the template, played locally: Kinesis → enrichment Lambda → workflow.

The emulator has no Pipes runtime, so this reads the Pipe's own settings from the deployed template
(batch size, batching window, starting position, retries, dead-letter queue) and does what Pipes
does: poll each shard, batch records, invoke the enrichment function with the batch, and hand its
output to the target state machine, waiting for the Express execution to finish (REQUEST_RESPONSE).
A shard's position is checkpointed to disk only after its batch is done, so a crash replays at most
the batch in flight (at-least-once, as on AWS); the workflow's writes are idempotent.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framewatch.aws.clients import client

POLL_SECONDS = 0.2  # Kinesis allows 5 GetRecords per second per shard


@dataclass
class PipeStats:
    batches: int = 0
    records: int = 0
    frames: int = 0
    executions_succeeded: int = 0
    executions_failed: int = 0
    batches_dead_lettered: int = 0
    execution_arns: list[str] = field(default_factory=list)
    batch_seconds: list[float] = field(default_factory=list)


class Checkpoints:
    """Last fully processed sequence number per shard, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._positions: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def get(self, shard_id: str) -> str | None:
        return self._positions.get(shard_id)

    def set(self, shard_id: str, sequence_number: str) -> None:
        with self._lock:
            self._positions[shard_id] = sequence_number
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(self._positions))
            partial.replace(self.path)


class LocalPipe:
    def __init__(self, name: str, props: dict[str, Any], checkpoint_file: Path, region: str) -> None:
        self.name = name
        self.source_arn: str = props["Source"]
        params = props.get("SourceParameters", {}).get("KinesisStreamParameters", {})
        self.batch_size = int(params.get("BatchSize", 100))
        self.window = float(params.get("MaximumBatchingWindowInSeconds", 0))
        self.starting_position = params.get("StartingPosition", "LATEST")
        self.max_retries = int(params.get("MaximumRetryAttempts", 3))
        self.dead_letter_arn: str | None = params.get("DeadLetterConfig", {}).get("Arn")
        self.enrichment: str | None = props.get("Enrichment")
        self.target: str = props["Target"]
        self.region = region
        self.stream_name = self.source_arn.split("/", 1)[1]
        self.checkpoints = Checkpoints(checkpoint_file)
        self.stats = PipeStats()
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Event()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        shards = client("kinesis").list_shards(StreamName=self.stream_name)["Shards"]
        for shard in shards:
            thread = threading.Thread(target=self._run_shard, args=(shard["ShardId"],),
                                      name=f"pipe-{shard['ShardId']}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def wait_idle(self, expected_records: int, timeout: float) -> bool:
        """True once ``expected_records`` records went through (or to the DLQ)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stats.records >= expected_records:
                return True
            time.sleep(0.05)
        return False

    # ------------------------------------------------------------------ polling
    def _iterator(self, shard_id: str) -> str:
        kinesis = client("kinesis")
        position = self.checkpoints.get(shard_id)
        if position:
            return kinesis.get_shard_iterator(StreamName=self.stream_name, ShardId=shard_id,
                                              ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                              StartingSequenceNumber=position)["ShardIterator"]
        return kinesis.get_shard_iterator(StreamName=self.stream_name, ShardId=shard_id,
                                          ShardIteratorType=self.starting_position)["ShardIterator"]

    def _run_shard(self, shard_id: str) -> None:
        kinesis = client("kinesis")
        iterator = self._iterator(shard_id)
        pending: list[dict[str, Any]] = []
        first_at = 0.0
        while not self._stop.is_set():
            try:
                response = kinesis.get_records(ShardIterator=iterator, Limit=self.batch_size)
            except Exception as exc:  # a restarted emulator or an expired iterator: start over
                self.last_error = f"get_records: {exc}"
                time.sleep(1.0)
                iterator = self._iterator(shard_id)
                pending = []
                continue
            iterator = response["NextShardIterator"]
            if response["Records"] and not pending:
                first_at = time.monotonic()
            pending.extend(response["Records"])
            while len(pending) >= self.batch_size:
                batch, pending = pending[: self.batch_size], pending[self.batch_size:]
                self._process(shard_id, batch)
                first_at = time.monotonic()
            if pending and (time.monotonic() - first_at >= self.window or self._stop.is_set()):
                self._process(shard_id, pending)
                pending = []
            if not response["Records"]:
                self._stop.wait(POLL_SECONDS)

    # ------------------------------------------------------------------ one batch
    def _process(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        started = time.monotonic()
        event = [self._pipe_record(shard_id, r) for r in records]
        for attempt in range(self.max_retries + 1):
            try:
                frames = self._enrich(event)
                if frames:
                    self._run_target(frames)
                self.stats.frames += len(frames)
                break
            except PipeStepFailed as exc:
                self.last_error = str(exc)
                if attempt == self.max_retries:
                    self._dead_letter(shard_id, records, str(exc))
                    break
                time.sleep(min(2 ** attempt, 8))
        self.stats.batches += 1
        self.stats.records += len(records)
        self.stats.batch_seconds.append(time.monotonic() - started)
        self.checkpoints.set(shard_id, records[-1]["SequenceNumber"])

    def _pipe_record(self, shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
        import base64

        arrival = record.get("ApproximateArrivalTimestamp")
        return {
            "eventSource": "aws:kinesis", "eventVersion": "1.0",
            "eventID": f"{shard_id}:{record['SequenceNumber']}", "eventName": "aws:kinesis:record",
            "awsRegion": self.region, "eventSourceARN": self.source_arn,
            "kinesisSchemaVersion": "1.0", "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": arrival.timestamp() if arrival else time.time(),
        }

    def _enrich(self, event: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.enrichment:
            return event
        response = client("lambda").invoke(FunctionName=self.enrichment, Payload=json.dumps(event))
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise PipeStepFailed(f"enrichment failed: {payload}")
        return list(payload or [])

    def _run_target(self, frames: list[dict[str, Any]]) -> None:
        sfn = client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=self.target, name=f"pipe-{uuid.uuid4().hex[:24]}",
                                  input=json.dumps(frames))["executionArn"]
        self.stats.execution_arns.append(arn)
        pause = 0.02
        while True:  # REQUEST_RESPONSE: the Pipe waits for the Express execution's result
            status = sfn.describe_execution(executionArn=arn)
            if status["status"] != "RUNNING":
                break
            time.sleep(pause)
            pause = min(pause * 1.5, 0.2)  # each poll costs the emulator CPU the workflow needs
        if status["status"] == "SUCCEEDED":
            self.stats.executions_succeeded += 1
            return
        self.stats.executions_failed += 1
        raise PipeStepFailed(f"execution {arn} {status['status']}: "
                             f"{status.get('error')} {status.get('cause')}")

    def _dead_letter(self, shard_id: str, records: list[dict[str, Any]], reason: str) -> None:
        self.stats.batches_dead_lettered += 1
        if not self.dead_letter_arn:
            return
        name = self.dead_letter_arn.rsplit(":", 1)[1]
        sqs = client("sqs")
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({
            "stage": "pipe", "reason": reason, "pipe": self.name, "shard_id": shard_id,
            "stream_arn": self.source_arn,
            "first_sequence_number": records[0]["SequenceNumber"],
            "last_sequence_number": records[-1]["SequenceNumber"], "records": len(records),
        }))


class PipeStepFailed(RuntimeError):
    """The enrichment or the target failed for a whole batch."""
