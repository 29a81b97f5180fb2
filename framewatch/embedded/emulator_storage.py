"""The emulator keeps object bodies and stream records on disk, as AWS does, not in the process.

Measured with `python -m bench.memory`: after history went to the log group, what still grew with
every frame was its JPEG, twice: moto keeps each S3 object's body in a SpooledTemporaryFile (memory
up to 5 MB) and each Kinesis record's data (the base64 frame) in the shard's dict, both for as long as
the retention says (7 days of frames, 24 h of records: gigabytes at 5 fps). Here both bodies go to
files under the data dir and only their place stays in memory; the lifecycle rules and the stream's
retention then bound the disk (``retention.py``), and memory per frame is a few hundred bytes
(the S3 keys and Kinesis records themselves then went to disk too: ``key_store``, ``stream_store``).

Two patches, both checked at install (moto 5.2.5): ``moto.s3.models`` gets a ``tempfile`` whose
SpooledTemporaryFile is a file on disk opened per call (no descriptor held per object), and the
Kinesis ``Record`` class stores ``data`` in hourly append-only segment files. Missing either leaves
moto as it is, in memory. Under ``framewatch up`` the object bodies go to a folder that outlives the
process, beside the object index (``key_store``): together they are the bucket's snapshot.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import types
import uuid
from pathlib import Path
from typing import Any

_root: Path | None = None
_bodies: Path | None = None  # where object bodies go: under _root, or a kept folder
_installed = False


def spool_root() -> Path | None:
    return _root


class DiskBody:
    """The part of SpooledTemporaryFile that moto's S3 keys use, kept in one file on disk."""

    def __init__(self, max_size: int = 0, *args: Any, **kwargs: Any) -> None:
        assert _bodies is not None
        self.path = _bodies / uuid.uuid4().hex  # unique across restarts: kept bodies stay valid
        self.position = 0
        self.path.touch()

    @classmethod
    def at(cls, path: Path) -> DiskBody:
        """The body already in ``path`` (a key rebuilt from the object index)."""
        body = cls.__new__(cls)
        body.path, body.position = path, 0
        return body

    def seek(self, offset: int, whence: int = 0) -> int:
        size = self.path.stat().st_size if whence == 2 else 0
        self.position = offset + (self.position if whence == 1 else size)
        return self.position

    def tell(self) -> int:
        return self.position

    def read(self, size: int = -1) -> bytes:
        with self.path.open("rb") as body:
            # moto reads in 16 MB chunks (the ETag of every new key); a file read of n bytes sets n
            # aside before it reads, so ask for no more than the body holds.
            left = max(0, os.fstat(body.fileno()).st_size - self.position)
            body.seek(self.position)
            data = body.read(left if size < 0 else min(size, left))
        self.position += len(data)
        return data

    def write(self, data: bytes) -> int:
        with self.path.open("r+b") as body:
            body.seek(self.position)
            body.write(data)
        self.position += len(data)
        return len(data)

    def truncate(self, size: int | None = None) -> int:
        size = self.position if size is None else size
        os.truncate(self.path, size)
        return size

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


class _Segments:
    """Kinesis record data in one append-only file per hour; a record keeps (hour, offset, length)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()

    def append(self, data: bytes) -> tuple[int, int, int]:
        hour = int(time.time() // 3600)
        with self.lock, (self.folder / f"{hour}.seg").open("ab") as segment:
            offset = segment.tell()
            segment.write(data)
        return hour, offset, len(data)

    def read(self, place: tuple[int, int, int]) -> bytes:
        hour, offset, length = place
        try:
            with (self.folder / f"{hour}.seg").open("rb") as segment:
                segment.seek(offset)
                return segment.read(length)
        except FileNotFoundError:  # past retention: the record itself is trimmed with it
            return b""

    def drop_before(self, cutoff: float) -> int:
        """Delete the hour files that end before ``cutoff`` (epoch seconds)."""
        dropped = 0
        for path in self.folder.glob("*.seg"):
            if (int(path.stem) + 1) * 3600 <= cutoff:
                path.unlink(missing_ok=True)
                dropped += 1
        return dropped


segments: _Segments | None = None


def install(root: Path, kept_bodies: Path | None = None) -> bool:
    """Put the emulator's bodies under ``root`` (emptied: a new emulator starts empty); object bodies
    in ``kept_bodies`` instead when given (not emptied: ``framewatch up``'s objects)."""
    global _root, _bodies, _installed, segments
    shutil.rmtree(root, ignore_errors=True)
    (root / "s3").mkdir(parents=True)
    (root / "kinesis").mkdir(parents=True)
    _root = root
    _bodies = kept_bodies or root / "s3"
    _bodies.mkdir(parents=True, exist_ok=True)
    segments = _Segments(root / "kinesis")
    if _installed:
        return True
    try:
        from moto.kinesis import models as kinesis_models
        from moto.s3 import models as s3_models
    except ImportError:
        return False
    if getattr(s3_models, "tempfile", None) is not tempfile or not hasattr(kinesis_models, "Record"):
        return False
    s3_models.tempfile = types.SimpleNamespace(SpooledTemporaryFile=DiskBody)  # type: ignore[assignment]

    def get_data(record: Any) -> str:
        assert segments is not None
        return segments.read(record._place).decode()

    def set_data(record: Any, value: str | bytes) -> None:
        assert segments is not None
        record._place = segments.append(value.encode() if isinstance(value, str) else value)

    kinesis_models.Record.data = property(get_data, set_data)  # type: ignore[assignment]
    _installed = True
    return True
