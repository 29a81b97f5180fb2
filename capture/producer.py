"""The producer thread: turns queued frames into frame records and puts them on the sink.

Batches respect the PutRecords limits (500 records, 5 MiB); entries that fail are retried alone
with exponential backoff and jitter until they are in or the retry deadline passes, after which
they are counted as failed and logged as errors. Frames too big for one record are parked in S3
first (claim-check) and their record carries only the key.
"""

from __future__ import annotations

import base64
import logging
import threading
import time

from capture.backoff import Backoff
from capture.config import ProducerSettings
from capture.frame_queue import FrameQueue, PendingFrame
from capture.sinks import ClaimCheckUnavailable, OutgoingRecord, Sink
from capture.stats import Stats
from framewatch.aws.kinesis import (
    MAX_BYTES_PER_CALL,
    MAX_RECORDS_PER_CALL,
    EntryResult,
    PutRecordsError,
    RecordEntry,
)
from framewatch.core.frame_record import FrameRecord, claim_check_key
from framewatch.errors import UserError

log = logging.getLogger("capture.producer")


def build_record(frame: PendingFrame, s3_key: str | None = None) -> OutgoingRecord:
    record = FrameRecord(
        camera_id=frame.camera_id,
        frame_id=frame.frame_id,
        captured_at=frame.captured_at,
        seq=frame.seq,
        width=frame.width,
        height=frame.height,
        image=None if s3_key else base64.b64encode(frame.jpeg).decode("ascii"),
        s3_key=s3_key,
    )
    # Partition key = camera id: one camera's frames stay in order on one shard.
    return OutgoingRecord(frame, record, RecordEntry(record.to_json(), frame.camera_id))


def split_by_size(
    records: list[OutgoingRecord],
    max_bytes: int = MAX_BYTES_PER_CALL,
    max_records: int = MAX_RECORDS_PER_CALL,
) -> list[list[OutgoingRecord]]:
    """Chunks that each fit one PutRecords call."""
    chunks: list[list[OutgoingRecord]] = []
    current: list[OutgoingRecord] = []
    size = 0
    for outgoing in records:
        entry_size = outgoing.entry.size
        if current and (size + entry_size > max_bytes or len(current) >= max_records):
            chunks.append(current)
            current, size = [], 0
        current.append(outgoing)
        size += entry_size
    if current:
        chunks.append(current)
    return chunks


class Producer:
    def __init__(self, queue: FrameQueue, sink: Sink, settings: ProducerSettings, stats: Stats) -> None:
        self.queue = queue
        self.sink = sink
        self.settings = settings
        self.stats = stats
        self._thread = threading.Thread(target=self._run, name="capture-producer", daemon=True)
        self._closing = threading.Event()
        self._abandoned = threading.Event()
        self._flush_deadline = float("inf")
        self._lock = threading.Lock()
        self._inflight: dict[str, PendingFrame] = {}

    def start(self) -> None:
        self._thread.start()

    def finish(self, timeout: float) -> None:
        """Send what is queued, for at most ``timeout`` seconds; what is left counts as failed."""
        self._flush_deadline = time.monotonic() + timeout
        self._closing.set()
        self.queue.wake()
        self._thread.join(timeout + 0.5)
        if self._thread.is_alive():  # stuck inside a call to the sink: give up on it
            with self._lock:
                self._abandoned.set()
                left = list(self._inflight.values()) + self.queue.drain()
                self._inflight.clear()
                for frame in left:
                    self._count(frame, "frames_failed")
            if left:
                log.error(
                    "%d frames were not sent to %s before the %.0f s flush timeout; counted as failed",
                    len(left),
                    self.sink.label,
                    timeout,
                )

    # -- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        estimate = int(MAX_BYTES_PER_CALL * 0.7)  # JPEG bytes grow by 4/3 in base64
        while not self._abandoned.is_set():
            batch = self.queue.take(MAX_RECORDS_PER_CALL, estimate, wait=0.2)
            if not batch:
                if self._closing.is_set():
                    return
                continue
            with self._lock:
                self._inflight.update((frame.frame_id, frame) for frame in batch)
            try:
                self._send(batch)
            except Exception as exc:  # never let the producer die silently with frames in hand
                log.exception("producer error")
                self._fail([f for f in batch if f.frame_id in self._inflight], str(exc))

    def _deadline(self) -> float:
        deadline = time.monotonic() + self.settings.retry_deadline_s
        return min(deadline, self._flush_deadline) if self._closing.is_set() else deadline

    def _backoff(self) -> Backoff:
        return Backoff(self.settings.retry_initial_s, self.settings.retry_max_s)

    def _count(self, frame: PendingFrame, counter: str) -> None:
        self.stats.add(frame.camera_id, counter)

    def _settle(self, frame: PendingFrame, counter: str) -> None:
        with self._lock:
            if self._inflight.pop(frame.frame_id, None) is not None:
                self._count(frame, counter)

    def _fail(self, frames: list[PendingFrame], reason: str) -> None:
        if not frames:
            return
        for frame in frames:
            self.stats.error(frame.camera_id, reason)
            self._settle(frame, "frames_failed")
        log.error(
            "%d frames failed to reach %s (%s); counted as failed, first %s",
            len(frames),
            self.sink.label,
            reason,
            frames[0].frame_id,
        )

    def _send(self, batch: list[PendingFrame]) -> None:
        outgoing: list[OutgoingRecord] = []
        for frame in batch:
            record = self._prepare(frame)
            if record is not None:
                outgoing.append(record)
        for chunk in split_by_size(outgoing):
            self._put_with_retries(chunk)

    def _prepare(self, frame: PendingFrame) -> OutgoingRecord | None:
        outgoing = build_record(frame)
        if outgoing.entry.size <= self.settings.max_record_bytes:
            return outgoing
        key = claim_check_key(frame.camera_id, frame.frame_id)
        deadline = self._deadline()
        backoff = self._backoff()
        while True:
            try:
                self.sink.store_claim_check(key, frame.jpeg)
                break
            except (ClaimCheckUnavailable, UserError) as exc:
                self._fail(
                    [frame],
                    f"frame is {outgoing.entry.size} bytes, over the "
                    f"{self.settings.max_record_bytes}-byte record limit: {exc}",
                )
                return None
            except Exception as exc:  # S3 throttling or a blip: retry until the deadline
                delay = backoff.next_delay()
                if time.monotonic() + delay > deadline or self._abandoned.is_set():
                    self._fail([frame], f"claim-check upload failed: {type(exc).__name__}: {exc}")
                    return None
                time.sleep(delay)
        self.stats.add(frame.camera_id, "claim_checks")
        return build_record(frame, s3_key=key)

    def _put_with_retries(self, pending: list[OutgoingRecord]) -> None:
        deadline = self._deadline()
        backoff = self._backoff()
        while pending:
            try:
                results = self.sink.put(pending)
            except UserError as exc:
                self._fail([r.frame for r in pending], str(exc))
                return
            except PutRecordsError as exc:
                if not exc.retryable:
                    self._fail([r.frame for r in pending], str(exc))
                    return
                results = [EntryResult(exc.code, str(exc))] * len(pending)
            failed: list[OutgoingRecord] = []
            for outgoing, result in zip(pending, results, strict=True):
                if result.ok:
                    self._settle(outgoing.frame, "frames_sent")
                else:
                    failed.append(outgoing)
            if not failed:
                return
            reason = next(r.error_code for r in results if not r.ok) or "unknown error"
            for outgoing in failed:
                self.stats.error(outgoing.frame.camera_id, str(reason))
            delay = backoff.next_delay()
            if time.monotonic() + delay > deadline or self._abandoned.is_set():
                self._fail([r.frame for r in failed], f"still {reason} when the retry deadline passed")
                return
            log.warning(
                "%d of %d records not accepted by %s (%s); retrying those in %.2f s",
                len(failed),
                len(pending),
                self.sink.label,
                reason,
                delay,
            )
            time.sleep(delay)
            pending = failed
