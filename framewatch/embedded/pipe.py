"""The EventBridge Pipe of the template, played locally: Kinesis → enrichment Lambda → workflow.

The emulator has no Pipes runtime, so this reads the Pipe's own settings from the deployed template
(batch size, batching window, parallelization factor, starting position, retries, maximum record age,
AUTOMATIC_BISECT, dead-letter queue) and does what Pipes does: poll each shard, batch records, invoke
the enrichment function with the batch, and hand its output to the target state machine, waiting for
the Express execution to finish (REQUEST_RESPONSE). A shard's position is checkpointed to disk only
once every record up to it is done, so a crash replays at most the batches in flight (at-least-once,
as on AWS); the workflow's writes are idempotent.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framewatch.aws.clients import client

MAX_RECORDS_AHEAD = 200  # records read but not yet done, per shard
POLL_SECONDS = 0.1  # an idle shard is asked again this often (in-memory emulator: no 5/s limit)
BUSY_LANE_SECONDS = 0.01  # records wait for their lane's queued batch to start: look again soon
# An Express execution ends within five minutes on AWS (the Pipe's synchronous call with it); a workflow's
# own TimeoutSeconds may make that shorter. Past it, an emulated execution that never ends is stopped.
EXPRESS_MAX_SECONDS = 300.0
GRACE_SECONDS = 5.0  # the emulator times executions out itself; this is only the safety net


@dataclass(frozen=True)
class ExecutionFailure:
    """An execution that did not succeed, as a person needs it on the console."""

    name: str
    status: str  # FAILED, TIMED_OUT or ABORTED
    state: str  # the last state it entered ("" if none)
    error: str
    cause: str

    def describe(self) -> str:
        where = f' in state "{self.state}"' if self.state else ""
        cause = " ".join(self.cause.split())[:300]
        return (
            f"execution {self.name} {self.status}{where}: {self.error or 'no error'}: {cause or 'no cause'}"
        )


def execution_bound(definition: dict[str, Any]) -> float:
    """Seconds an execution of ``definition`` may run: its TimeoutSeconds, at most Express's limit."""
    timeout = definition.get("TimeoutSeconds")
    limit = float(timeout) if isinstance(timeout, int) and timeout > 0 else EXPRESS_MAX_SECONDS
    return min(limit, EXPRESS_MAX_SECONDS) + GRACE_SECONDS


RECENT_KEPT = 2_000  # execution ARNs, failures and batch times a pipe's stats keep (for reports, tests)
RETRY_BASE_SECONDS = 0.5  # first retry of a failed batch after this, doubling up to 8 s


@dataclass
class PipeStats:
    batches: int = 0
    records: int = 0
    frames: int = 0
    executions_succeeded: int = 0
    executions_failed: int = 0
    batches_dead_lettered: int = 0
    batches_failed: int = 0  # attempts of a batch (or half of one) that failed and were retried or given up
    bisections: int = 0
    # The latest only: a pipe runs for weeks, and these are for reports and tests, not accounting.
    execution_arns: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_KEPT))
    execution_failures: deque[ExecutionFailure] = field(default_factory=lambda: deque(maxlen=RECENT_KEPT))
    batch_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_KEPT))


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


class ShardProgress:
    """Records read from a shard, in order, and which are done. The checkpoint may only move to the
    last record of the done prefix: with parallel lanes a later batch can finish before an earlier one."""

    def __init__(self) -> None:
        self._order: deque[str] = deque()
        self._done: set[str] = set()
        self._lock = threading.Lock()

    def add(self, sequence_numbers: list[str]) -> None:
        with self._lock:
            self._order.extend(sequence_numbers)

    def outstanding(self) -> int:
        with self._lock:
            return len(self._order)

    def complete(self, sequence_numbers: list[str]) -> str | None:
        with self._lock:
            self._done.update(sequence_numbers)
            last = None
            while self._order and self._order[0] in self._done:
                last = self._order.popleft()
                self._done.discard(last)
            return last


class LocalPipe:
    def __init__(
        self, name: str, props: dict[str, Any], checkpoint_file: Path, region: str, sync_target: bool = False
    ) -> None:
        self.name = name
        # StartSyncExecution (falling back to StartExecution + polling where Express or the sync API
        # is missing, as on LocalStack); the embedded emulator has no sync API, so it polls directly.
        self.sync_target = sync_target
        self.source_arn: str = props["Source"]
        params = props.get("SourceParameters", {}).get("KinesisStreamParameters", {})
        self.batch_size = int(params.get("BatchSize", 100))
        self.window = float(params.get("MaximumBatchingWindowInSeconds", 0))
        self.starting_position = params.get("StartingPosition", "LATEST")
        self.max_retries = int(params.get("MaximumRetryAttempts", -1))  # AWS's default: until expiry
        self.max_record_age = int(params.get("MaximumRecordAgeInSeconds", -1))
        self.bisect = params.get("OnPartialBatchItemFailure") == "AUTOMATIC_BISECT"
        self.dead_letter_arn: str | None = params.get("DeadLetterConfig", {}).get("Arn")
        self.enrichment: str | None = props.get("Enrichment")
        self.target: str = props["Target"]
        self.region = region
        self.stream_name = self.source_arn.split("/", 1)[1]
        self.parallelization = int(params.get("ParallelizationFactor", 1))
        self.checkpoints = Checkpoints(checkpoint_file)
        self.stats = PipeStats()
        self._stats_lock = threading.Lock()
        self._crashed = False
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._in_flight = 0
        self.execution_bound = EXPRESS_MAX_SECONDS + GRACE_SECONDS
        # Called (from a pipe thread) for each execution that fails or times out, as it happens.
        self.on_execution_failed: Callable[[ExecutionFailure], None] | None = None
        # Where the emulator runs in this process: waits up to the given seconds for the execution to
        # end (True once it has), so the result is asked for once instead of every 50 ms.
        self.wait_for_end: Callable[[str, float], bool] | None = None
        # Where the functions run in this process's Lambda runtime: (name, ARN, event) -> (payload,
        # errored), so the batch with its images skips the Lambda API's HTTP round trip.
        self.invoke_function: Callable[[str, str, Any], tuple[str, bool]] | None = None

    @property
    def batch_bound(self) -> float:
        """Longest one batch can take: every attempt running to the execution bound, plus the backoff."""
        attempts = self.max_retries + 1
        return attempts * self.execution_bound + sum(min(2**n, 8) for n in range(self.max_retries))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        definition = client("stepfunctions").describe_state_machine(stateMachineArn=self.target)["definition"]
        self.execution_bound = execution_bound(json.loads(definition))
        shards = client("kinesis").list_shards(StreamName=self.stream_name)["Shards"]
        for shard in shards:
            thread = threading.Thread(
                target=self._run_shard, args=(shard["ShardId"],), name=f"pipe-{shard['ShardId']}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop reading and starting batches; wait up to ``timeout`` s in all for the batches in flight
        to finish. A batch still running then is abandoned unchecked-pointed: the next start reads it
        again (at-least-once). True when every thread ended."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    @property
    def in_flight(self) -> int:
        """Batches being delivered right now (enrichment or workflow running)."""
        return self._in_flight

    def wait_idle(self, expected_records: int, timeout: float | None = None) -> bool:
        """True once ``expected_records`` records went through (or to the DLQ). Without ``timeout`` it
        waits as long as batches keep finishing, and gives up after a batch's bound without one."""
        deadline = time.monotonic() + timeout if timeout is not None else None
        last_records, last_progress = self.stats.records, time.monotonic()
        while True:
            if self.stats.records >= expected_records:
                return True
            now = time.monotonic()
            if self.stats.records != last_records:
                last_records, last_progress = self.stats.records, now
            if deadline is not None and now >= deadline:
                return False
            if deadline is None and (now - last_progress > self.batch_bound or self._crashed):
                return False
            time.sleep(0.05)

    # ------------------------------------------------------------------ polling
    def _iterator(self, shard_id: str) -> str:
        kinesis = client("kinesis")
        position = self.checkpoints.get(shard_id)
        if position:
            return kinesis.get_shard_iterator(
                StreamName=self.stream_name,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                StartingSequenceNumber=position,
            )["ShardIterator"]
        return kinesis.get_shard_iterator(
            StreamName=self.stream_name, ShardId=shard_id, ShardIteratorType=self.starting_position
        )["ShardIterator"]

    def _run_shard(self, shard_id: str) -> None:
        """Poll one shard and hand its records to lanes by partition key; each lane runs its batches in
        order, so one camera's frames are analysed in order while other cameras' go on in parallel
        (Pipes' ParallelizationFactor)."""
        kinesis = client("kinesis")
        iterator = self._iterator(shard_id)
        progress = ShardProgress()
        lanes: list[queue.Queue[list[dict[str, Any]]]] = [queue.Queue() for _ in range(self.parallelization)]
        for number, lane_queue in enumerate(lanes):
            worker = threading.Thread(
                target=self._run_lane,
                args=(shard_id, lane_queue, progress),
                name=f"pipe-{shard_id}-lane-{number}",
                daemon=True,
            )
            self._threads.append(worker)
            worker.start()
        pending: list[list[dict[str, Any]]] = [[] for _ in lanes]
        first_at = [0.0 for _ in lanes]

        def dispatch() -> bool:
            """Hand batches to lanes; True while a partial batch waits for its lane's queue."""
            waiting = False
            for lane, records in enumerate(pending):
                while len(records) >= self.batch_size:
                    lanes[lane].put(records[: self.batch_size])
                    del records[: self.batch_size]
                    first_at[lane] = time.monotonic()
                # A partial batch goes only when nothing waits in its lane: the records that arrive
                # while a batch runs form the next one, as Pipes batches a busy shard, instead of a
                # queue of one-record batches that each pay a whole execution (latency grew with it).
                if records and time.monotonic() - first_at[lane] >= self.window:
                    if lanes[lane].empty():
                        lanes[lane].put(list(records))
                        records.clear()
                    else:
                        waiting = True
            return waiting

        read_at = 0.0
        while not self._stop.is_set():
            if progress.outstanding() >= MAX_RECORDS_AHEAD:
                self._stop.wait(0.02)  # the lanes are behind: do not read further ahead of them
                continue
            if time.monotonic() - read_at < POLL_SECONDS and dispatch():
                self._stop.wait(BUSY_LANE_SECONDS)  # a lane's batch is about to start: hand on soon
                continue
            try:
                response = kinesis.get_records(ShardIterator=iterator, Limit=self.batch_size)
            except Exception as exc:  # a restarted emulator or an expired iterator: start over
                self.last_error = f"get_records: {exc}"
                time.sleep(1.0)
                iterator = self._iterator(shard_id)
                continue
            read_at = time.monotonic()
            iterator = response["NextShardIterator"]
            progress.add([r["SequenceNumber"] for r in response["Records"]])
            for record in response["Records"]:
                lane = zlib.crc32(record["PartitionKey"].encode()) % len(lanes)
                if not pending[lane]:
                    first_at[lane] = time.monotonic()
                pending[lane].append(record)
            if dispatch():
                self._stop.wait(BUSY_LANE_SECONDS)
            elif not response["Records"]:
                self._stop.wait(POLL_SECONDS)

    def _run_lane(
        self, shard_id: str, lane: queue.Queue[list[dict[str, Any]]], progress: ShardProgress
    ) -> None:
        while not self._crashed:
            try:
                batch = lane.get(timeout=0.1)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if self._stop.is_set():
                return  # stopping: batches not started are read again at the next start
            with self._stats_lock:
                self._in_flight += 1
            try:
                self._process(shard_id, batch)
                position = progress.complete([r["SequenceNumber"] for r in batch])
                if position and not self._crashed:
                    self.checkpoints.set(shard_id, position)
            except PipeStopped:
                return  # not checkpointed: the next start reads the batch again
            except BaseException:
                # A crash of any part stops the whole pipe, as a dying process would: no other lane
                # may move the checkpoint past the batch that never finished.
                self._crashed = True
                self._stop.set()
                raise
            finally:
                with self._stats_lock:
                    self._in_flight -= 1

    # ------------------------------------------------------------------ one batch
    def _process(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        started = time.monotonic()
        self._deliver(shard_id, records)
        with self._stats_lock:
            self.stats.batches += 1
            self.stats.records += len(records)
            self.stats.batch_seconds.append(time.monotonic() - started)

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """Enrich and run the target for ``records`` until they succeed or are given up, as Pipes does
        for a stream source (docs: "EventBridge Pipes error handling", ``PipeSourceKinesisStream-
        Parameters``): a failed batch is retried; with ``AUTOMATIC_BISECT`` it is halved before each
        retry "until all the records are processed or there is one failed message left in the batch";
        ``MaximumRetryAttempts`` (-1: until the record expires) and ``MaximumRecordAgeInSeconds``
        (-1: no limit) bound the retries, and what is given up goes to the dead-letter queue.

        AWS does not say whether a split uses up a retry; here it does not (the split halves are new
        batches), so a batch of any size narrows down to its one failing record before that record's
        retries are counted, which is what the documentation's "one failed message left" describes."""
        work: deque[tuple[list[dict[str, Any]], int]] = deque([(records, 0)])  # (records, retries used)
        while work:
            batch, retries = work.popleft()
            expired = [r for r in batch if self._too_old(r)]
            if expired:
                self._dead_letter(shard_id, expired, "record older than MaximumRecordAgeInSeconds")
                batch = [r for r in batch if not self._too_old(r)]
                if not batch:
                    continue
            try:
                frames = self._enrich([self._pipe_record(shard_id, r) for r in batch])
                if frames:
                    self._run_target(frames)
                with self._stats_lock:
                    self.stats.frames += len(frames)
                continue
            except PipeStepFailed as exc:
                self.last_error = str(exc)
                with self._stats_lock:
                    self.stats.batches_failed += 1
            if self.bisect and len(batch) > 1:
                middle = len(batch) // 2
                with self._stats_lock:
                    self.stats.bisections += 1
                work.extendleft([(batch[middle:], retries), (batch[:middle], retries)])  # keep order
                pause = self._backoff(1)
            elif self.max_retries != -1 and retries >= self.max_retries:
                self._dead_letter(shard_id, batch, self.last_error or "retries exhausted")
                continue
            else:
                work.appendleft((batch, retries + 1))
                pause = self._backoff(retries + 1)
            if self._stop.wait(pause):
                raise PipeStopped("stopped while retrying a batch; it stays unacknowledged")

    def _too_old(self, record: dict[str, Any]) -> bool:
        arrival = record.get("ApproximateArrivalTimestamp")
        if self.max_record_age < 0 or arrival is None:
            return False
        return time.time() - arrival.timestamp() > self.max_record_age

    def _backoff(self, failures: int) -> float:
        return float(min(RETRY_BASE_SECONDS * 2 ** (failures - 1), 8.0))

    def _pipe_record(self, shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
        import base64

        arrival = record.get("ApproximateArrivalTimestamp")
        return {
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "awsRegion": self.region,
            "eventSourceARN": self.source_arn,
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": arrival.timestamp() if arrival else time.time(),
        }

    def _enrich(self, event: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.enrichment:
            return event
        if self.invoke_function is not None:
            name = self.enrichment.rsplit(":function:", 1)[-1].split(":", 1)[0]
            text, errored = self.invoke_function(name, self.enrichment, event)
            payload = json.loads(text or "null")
        else:
            response = client("lambda").invoke(FunctionName=self.enrichment, Payload=json.dumps(event))
            payload = json.loads(response["Payload"].read() or b"null")
            errored = bool(response.get("FunctionError"))
        if errored:
            raise PipeStepFailed(f"enrichment failed: {payload}")
        return list(payload or [])

    def _run_target(self, frames: list[dict[str, Any]]) -> None:
        if self.sync_target:
            self._run_target_sync(frames)
            return
        sfn = client("stepfunctions")
        arn = sfn.start_execution(
            stateMachineArn=self.target, name=f"pipe-{uuid.uuid4().hex[:24]}", input=json.dumps(frames)
        )["executionArn"]
        with self._stats_lock:
            self.stats.execution_arns.append(arn)
        pause = 0.02
        deadline = time.monotonic() + self.execution_bound
        while True:  # REQUEST_RESPONSE: the Pipe waits for the Express execution's result
            status = sfn.describe_execution(executionArn=arn)
            if status["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:  # an emulated execution that will never end
                status = self._stop_overdue(arn)
                break
            if self.wait_for_end is not None:
                self.wait_for_end(arn, min(1.0, max(0.0, deadline - time.monotonic())))
                continue
            time.sleep(pause)
            pause = min(pause * 1.5, 0.05)  # a poll costs the emulator CPU; oversleeping costs latency
        succeeded = status["status"] == "SUCCEEDED"
        failure = None if succeeded else self._failure(arn, status)
        with self._stats_lock:
            self.stats.executions_succeeded += succeeded
            self.stats.executions_failed += not succeeded
            if failure:
                self.stats.execution_failures.append(failure)
        if failure is None:
            return
        if self.on_execution_failed is not None:
            self.on_execution_failed(failure)
        raise PipeStepFailed(
            f"execution {arn} {status['status']}: {status.get('error')} {status.get('cause')}"
        )

    def _stop_overdue(self, arn: str) -> dict[str, Any]:
        cause = f"no result after {self.execution_bound:g} s; the local pipe stopped it"
        # It may have ended meanwhile; either way it counts as timed out here.
        with contextlib.suppress(Exception):
            client("stepfunctions").stop_execution(executionArn=arn, error="States.Timeout", cause=cause)
        return {"status": "TIMED_OUT", "error": "States.Timeout", "cause": cause}

    def _failure(self, arn: str, status: dict[str, Any]) -> ExecutionFailure:
        """Name, last state entered, error and cause of an execution that did not succeed."""
        state, error, cause = "", str(status.get("error") or ""), str(status.get("cause") or "")
        try:
            pages = client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=arn)
            events = [event for page in pages for event in page["events"]]
        except Exception:  # the history only adds detail; the status alone is still worth reporting
            events = []
        for event in sorted(events, key=lambda e: int(e.get("id", 0)), reverse=True):  # newest first
            details = event.get("executionFailedEventDetails") or event.get("executionTimedOutEventDetails")
            if details and not error:
                error, cause = str(details.get("error") or ""), str(details.get("cause") or "")
            entered = event.get("stateEnteredEventDetails")
            if entered:
                state = str(entered.get("name", ""))
                break
        return ExecutionFailure(arn.rsplit(":", 1)[-1], str(status["status"]), state, error, cause)

    def _run_target_sync(self, frames: list[dict[str, Any]]) -> None:
        from framewatch.aws import stepfunctions

        outcome = stepfunctions.run_to_completion(self.target, frames, name=f"pipe-{uuid.uuid4().hex[:24]}")
        with self._stats_lock:
            self.stats.execution_arns.append(outcome.execution_arn)
            self.stats.executions_succeeded += outcome.succeeded
            self.stats.executions_failed += not outcome.succeeded
        if not outcome.succeeded:
            raise PipeStepFailed(
                f"execution {outcome.execution_arn} {outcome.status}: {outcome.error} {outcome.cause}"
            )

    def _dead_letter(self, shard_id: str, records: list[dict[str, Any]], reason: str) -> None:
        with self._stats_lock:
            self.stats.batches_dead_lettered += 1
        if not self.dead_letter_arn:
            return
        name = self.dead_letter_arn.rsplit(":", 1)[1]
        sqs = client("sqs")
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(
                {
                    "stage": "pipe",
                    "reason": reason,
                    "pipe": self.name,
                    "shard_id": shard_id,
                    "stream_arn": self.source_arn,
                    "first_sequence_number": records[0]["SequenceNumber"],
                    "last_sequence_number": records[-1]["SequenceNumber"],
                    "records": len(records),
                }
            ),
        )


class PipeStepFailed(RuntimeError):
    """The enrichment or the target failed for a whole batch."""


class PipeStopped(Exception):
    """The pipe was stopped while a batch was waiting for its next retry."""
