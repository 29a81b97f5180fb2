"""Where outgoing records go: Kinesis (+ S3 for claim-checks), or a folder for ``--dry-run``."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from capture.frame_queue import PendingFrame
from framewatch.aws import kinesis, s3
from framewatch.aws.kinesis import EntryResult, RecordEntry
from framewatch.core.frame_record import FrameRecord
from framewatch.errors import UserError


class ClaimCheckUnavailable(Exception):
    """A frame needs a claim-check object but there is nowhere to put it (not retryable)."""


@dataclass(frozen=True)
class OutgoingRecord:
    frame: PendingFrame
    record: FrameRecord
    entry: RecordEntry


class Sink(Protocol):
    label: str

    def check(self) -> None: ...

    def put(self, records: list[OutgoingRecord]) -> list[EntryResult]: ...

    def store_claim_check(self, key: str, jpeg: bytes) -> None: ...


class KinesisSink:
    def __init__(self, stream: str, bucket: str | None) -> None:
        self.stream = stream
        self.bucket = bucket
        self.label = f"Kinesis stream {stream}"

    def check(self) -> None:
        kinesis.check_stream(self.stream)

    def put(self, records: list[OutgoingRecord]) -> list[EntryResult]:
        return kinesis.put_records(self.stream, [r.entry for r in records])

    def store_claim_check(self, key: str, jpeg: bytes) -> None:
        if not self.bucket:
            raise ClaimCheckUnavailable(
                "no bucket for claim-check objects; pass --bucket or set "
                "FRAMEWATCH_BUCKET (or raise --max-record-bytes)"
            )
        s3.put_object(self.bucket, key, jpeg, "image/jpeg")


class DryRunSink:
    """Writes ``DIR/<frame-id>.jpg`` and ``DIR/records.jsonl`` (records with ``image: null`` plus
    ``image_file``, ``image_bytes`` and ``record_bytes``); needs no AWS at all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.label = f"dry run into {folder}"
        self._lock = threading.Lock()

    def check(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "records.jsonl").touch()
        except OSError as exc:
            raise UserError(f"cannot write the dry-run folder {self.folder}: {exc.strerror}") from exc

    def put(self, records: list[OutgoingRecord]) -> list[EntryResult]:
        with self._lock, (self.folder / "records.jsonl").open("a") as lines:
            for outgoing in records:
                name = f"{outgoing.frame.frame_id}.jpg"
                (self.folder / name).write_bytes(outgoing.frame.jpeg)
                line = outgoing.record.model_dump(mode="json")
                line["image"] = None
                line.update(
                    image_file=name, image_bytes=len(outgoing.frame.jpeg), record_bytes=outgoing.entry.size
                )
                lines.write(json.dumps(line) + "\n")
        return [EntryResult() for _ in records]

    def store_claim_check(self, key: str, jpeg: bytes) -> None:
        """The JPEG is written next to the record anyway."""
