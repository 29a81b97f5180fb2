"""Kinesis records kept in SQLite past the newest few (``stream_store``) read as moto's own dict does."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from framewatch.embedded import moto_hooks, stream_store
from framewatch.embedded.moto_hooks import SHARD_INIT, Symbol, stream_store_mismatch
from framewatch.embedded.stream_store import ShardRecords, StreamStore

REGION = "us-east-1"
STREAM = "frames"


pytestmark = pytest.mark.usefixtures("moto_on_disk")  # tests/unit/conftest.py


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StreamStore]:
    monkeypatch.setattr(stream_store, "TAIL", 16)  # small, so that most records of a test are spilled
    monkeypatch.setattr(stream_store, "SPILL", 8)
    monkeypatch.setattr(stream_store, "CHUNK", 5)
    records = StreamStore(tmp_path / "records.sqlite3")
    moto_hooks.install_stream_store(records)
    try:
        yield records
    finally:
        moto_hooks.install_stream_store(None)
        records.close()


def _exercise() -> list[Any]:
    """Puts and reads as the capture client and the pipe make them, and every iterator type."""
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    answers: list[Any] = []
    for batch in range(12):
        records: list[Any] = [
            {"Data": f"frame {batch}-{n}".encode(), "PartitionKey": f"cam{n % 3}"} for n in range(10)
        ]
        if batch == 6:
            time.sleep(0.02)
            middle = datetime.now(UTC)
            time.sleep(0.02)
        answer = kinesis.put_records(StreamName=STREAM, Records=records)
        answers.append([r["SequenceNumber"] for r in answer["Records"]])
    shard = kinesis.describe_stream(StreamName=STREAM)["StreamDescription"]["Shards"][0]
    answers.append(shard["SequenceNumberRange"])

    def read(limit: int, **iterator: Any) -> None:
        it = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"], **iterator)
        page = kinesis.get_records(ShardIterator=it["ShardIterator"], Limit=limit)
        got = [(r["SequenceNumber"], r["PartitionKey"], r["Data"]) for r in page["Records"]]
        nxt = kinesis.get_records(ShardIterator=page["NextShardIterator"], Limit=limit)["Records"]
        answers.append((got, [r["SequenceNumber"] for r in nxt]))

    read(25, ShardIteratorType="TRIM_HORIZON")
    read(7, ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber="33")
    read(4, ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber="101")
    read(10, ShardIteratorType="AT_TIMESTAMP", Timestamp=middle)
    read(10, ShardIteratorType="LATEST")
    read(200, ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber="120")
    return answers


def test_the_kinesis_api_answers_as_with_moto_s_dict(store: StreamStore) -> None:
    with mock_aws():
        on_disk = _exercise()
        from moto.kinesis.models import kinesis_backends

        records = (
            kinesis_backends["123456789012"][REGION].streams[STREAM].shards["shardId-000000000000"].records
        )
        assert isinstance(records, ShardRecords)
        assert (records.spilled, len(records.tail)) == (104, 16)  # most of them in the file
    moto_hooks.install_stream_store(None)
    with mock_aws():
        in_memory = _exercise()
    assert on_disk == in_memory
    assert on_disk[-1] == ([], [])  # after the newest: nothing


def test_the_retention_deletes_from_the_file_and_numbers_go_on(store: StreamStore) -> None:
    from moto.kinesis.models import Shard

    shard = Shard(0, 0, 2**128)
    for n in range(40):
        shard.put_record("cam", f"old {n}", "")
    time.sleep(0.01)
    cutoff = time.time()
    for n in range(30):
        shard.put_record("cam", f"new {n}", "")
    records = shard.records
    assert isinstance(records, ShardRecords)
    assert records.drop_before(cutoff) == 40
    assert (len(records), records.first_key(), records.last_key()) == (30, 41, 70)
    page, last, _ = shard.get_records("0", 5)  # from the oldest kept
    assert [(r.sequence_number, r.data) for r in page] == [(41 + n, f"new {n}") for n in range(5)]
    assert last == 45
    assert records.drop_before(time.time() + 1) == 30  # an idle day: every record past retention
    assert len(records) == 0
    assert shard.put_record("cam", "after", "") == "71"  # moto alone would number it 1 again
    assert shard.get_records("70", 10)[0][0].data == "after"


# Runs in a fresh interpreter, as `up` does: in the full suite this measurement read 7.8 MB for
# 3,000 puts (under moto's Kinesis code, other threads left out) against under 100 KB alone, for a
# reason not found yet (see the stop's note); the claim here is about the store, not the suite.
_GROWTH = """
import gc, sys, tempfile, tracemalloc
from pathlib import Path
from framewatch.embedded import emulator_storage, moto_hooks, stream_store
from framewatch.embedded.stream_store import StreamStore
from tests.support.memory import TRACE_DEPTH, traced_growth

folder = Path(tempfile.mkdtemp())
emulator_storage.install(folder / "emulator")
moto_hooks.install_untracked_models()
stream_store.TAIL, stream_store.SPILL = 16, 8
moto_hooks.install_stream_store(StreamStore(folder / "records.sqlite3"))
if sys.argv[1] == "moto":
    moto_hooks.install_stream_store(None)
from moto.kinesis.models import Shard

shard = Shard(0, 0, 2**128)
for n in range(2000):  # warm-up: the tail is full, SQLite's cache is sized
    shard.put_record("cam", f"frame {n}", "1" * 38)
gc.collect()
tracemalloc.start(TRACE_DEPTH)
before = tracemalloc.take_snapshot()
for n in range(3000):
    shard.put_record("cam", f"frame {n}", "1" * 38)
gc.collect()
print(traced_growth(before, tracemalloc.take_snapshot(), under="*/moto/kinesis/*"))
"""


def _growth_of_3000_puts(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _GROWTH, mode],
        capture_output=True, text=True, timeout=120, check=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    return int(done.stdout.strip().splitlines()[-1])


def test_memory_stays_flat_however_many_records() -> None:
    assert _growth_of_3000_puts("store") < 100_000
    assert _growth_of_3000_puts("moto") > 1_000_000  # moto's dict: ~400 B a record (the control)


def test_shards_created_without_a_store_keep_moto_s_dict() -> None:
    from moto.kinesis.models import Shard

    moto_hooks.install_stream_store(None)
    assert type(Shard(0, 0, 1).records).__name__ == "OrderedDict"


def test_the_start_up_check_covers_the_stream_store_hooks() -> None:
    import moto

    assert stream_store_mismatch(moto.__version__) is None

    def reshaped(self: Any, shard_id: Any) -> None: ...

    def lookup(symbol: Symbol) -> Any:
        return reshaped if symbol == SHARD_INIT else moto_hooks._lookup(symbol)

    assert stream_store_mismatch(moto.__version__, lookup) == (
        f"moto {moto.__version__} changed moto.kinesis.models.Shard.__init__: parameters "
        "(self, shard_id), expected (" + ", ".join(SHARD_INIT.parameters or ()) + ")"
    )
