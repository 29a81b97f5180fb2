"""S3 keys kept in SQLite (``key_store``) answer the S3 API exactly as moto's own dict does."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from framewatch.embedded import emulator_storage, key_store, moto_hooks
from framewatch.embedded.key_store import DiskKeys, KeyStore, bucket_keys
from framewatch.embedded.moto_hooks import LIST_OBJECTS_V2, Symbol, key_store_mismatch

from ..support.memory import TRACE_DEPTH, traced_growth

REGION = "us-east-1"
BUCKET = "media"


pytestmark = pytest.mark.usefixtures("moto_on_disk")  # tests/unit/conftest.py


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KeyStore]:
    keys = KeyStore(tmp_path / "s3.sqlite3")
    moto_hooks.install_key_store(keys)
    try:
        yield keys
    finally:
        moto_hooks.install_key_store(None)
        keys.close()


def _bodies(tmp_path: Path) -> set[str]:
    return {p.name for p in (tmp_path / "emulator" / "s3").iterdir()}


def _exercise(s3: Any) -> list[Any]:
    """The operations the stack makes (and a few it may), and their answers without request data."""
    answers: list[Any] = []

    def keep(answer: dict[str, Any]) -> None:
        body = answer.get("Body")
        kept = {k: v for k, v in answer.items() if k not in ("ResponseMetadata", "LastModified", "Body")}
        kept.pop("VersionId", None)
        if body is not None:
            kept["Body"] = body.read()
        for entry in kept.get("Contents", []):
            entry.pop("LastModified", None)
        answers.append(kept)

    s3.create_bucket(Bucket=BUCKET)
    for n in range(40):
        day = 27 + n % 2
        s3.put_object(
            Bucket=BUCKET,
            Key=f"frames/cam{n % 3}/2026/11/{day}/f{n:03d}.jpg",
            Body=bytes([n]) * (100 + n),
            ContentType="image/jpeg",
            Metadata={"camera": f"cam{n % 3}"},
        )
    s3.put_object(Bucket=BUCKET, Key="uploads/ada.jpg", Body=b"face", Tagging="kind=enrol")
    keep(s3.get_object(Bucket=BUCKET, Key="frames/cam1/2026/11/28/f001.jpg"))
    keep(s3.head_object(Bucket=BUCKET, Key="frames/cam2/2026/11/27/f002.jpg"))
    keep(s3.get_object(Bucket=BUCKET, Key="frames/cam0/2026/11/27/f000.jpg", Range="bytes=10-19"))
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=BUCKET, Key="frames/nothing.jpg")
    for config in ({"PageSize": 7}, {"PageSize": 1000}):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, PaginationConfig=config)
        keep({"all": [entry["Key"] for page in pages for entry in page.get("Contents", [])]})
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="frames/cam1/", PaginationConfig={"PageSize": 4}
    )
    keep({"cam1": [(e["Key"], e["Size"], e["ETag"]) for page in pages for e in page.get("Contents", [])]})
    keep(s3.list_objects_v2(Bucket=BUCKET, Prefix="frames/", Delimiter="/"))
    keep(
        s3.list_objects_v2(Bucket=BUCKET, Prefix="frames/cam2/", StartAfter="frames/cam2/2026/11/27/f020.jpg")
    )
    keep(s3.list_objects(Bucket=BUCKET, Prefix="frames/cam0/", Marker="frames/cam0/2026/11/28", MaxKeys=3))
    keep(s3.list_objects_v2(Bucket=BUCKET, Prefix="nothing/"))
    # Changed after it was stored: metadata replaced in place, an ACL, tags.
    s3.copy_object(
        Bucket=BUCKET,
        Key="frames/cam1/2026/11/28/f001.jpg",
        CopySource={"Bucket": BUCKET, "Key": "frames/cam1/2026/11/28/f001.jpg"},
        Metadata={"camera": "renamed"},
        MetadataDirective="REPLACE",
    )
    keep(s3.head_object(Bucket=BUCKET, Key="frames/cam1/2026/11/28/f001.jpg"))
    s3.put_object_acl(Bucket=BUCKET, Key="frames/cam1/2026/11/27/f004.jpg", ACL="public-read")
    keep(s3.get_object_acl(Bucket=BUCKET, Key="frames/cam1/2026/11/27/f004.jpg"))
    keep(s3.get_object_tagging(Bucket=BUCKET, Key="uploads/ada.jpg"))
    keep(s3.get_object_tagging(Bucket=BUCKET, Key="frames/cam0/2026/11/27/f000.jpg"))
    s3.put_object(Bucket=BUCKET, Key="frames/cam0/2026/11/27/f000.jpg", Body=b"replaced")
    keep(s3.get_object(Bucket=BUCKET, Key="frames/cam0/2026/11/27/f000.jpg"))
    s3.delete_object(Bucket=BUCKET, Key="frames/cam0/2026/11/27/f006.jpg")
    keep(
        s3.delete_objects(
            Bucket=BUCKET,
            Delete={"Objects": [{"Key": "frames/cam1/2026/11/28/f007.jpg"}, {"Key": "frames/none.jpg"}]},
        )
    )
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, PaginationConfig={"PageSize": 9})
    keep({"after": [entry["Key"] for page in pages for entry in page.get("Contents", [])]})
    with pytest.raises(s3.exceptions.ClientError, match="BucketNotEmpty"):
        s3.delete_bucket(Bucket=BUCKET)
    return answers


def _run(operations: Callable[[Any], list[Any]]) -> list[Any]:
    with mock_aws():
        return operations(boto3.client("s3", region_name=REGION))


def test_every_operation_answers_as_moto_in_memory_does(store: KeyStore) -> None:
    on_disk = _run(_exercise)
    moto_hooks.install_key_store(None)
    in_memory = _run(_exercise)
    assert on_disk == in_memory
    assert on_disk[0]["Body"] == bytes([1]) * 101
    assert on_disk[0]["Metadata"] == {"camera": "cam1"}


def test_a_small_cache_changes_nothing(store: KeyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every key leaves the cache at once: what moto changed after storing it is written back."""
    in_memory = _run(_exercise)
    monkeypatch.setattr(key_store, "CACHE", 1)
    moto_hooks.install_key_store(KeyStore(store.path.with_name("small.sqlite3")))
    assert _run(_exercise) == in_memory


def test_keys_live_in_the_sqlite_file_and_bodies_stay_until_deleted(store: KeyStore, tmp_path: Path) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        tracemalloc.start(TRACE_DEPTH)
        try:
            for n in range(key_store.CACHE + 1):  # the cache of recent keys full: it stays that size
                s3.put_object(Bucket=BUCKET, Key=f"frames/warm-up/{n}.jpg", Body=b"0")
            gc.collect()
            before = tracemalloc.take_snapshot()
            for n in range(1500):
                s3.put_object(Bucket=BUCKET, Key=f"frames/cam/f{n:05d}.jpg", Body=b"jpeg" * 50)
            gc.collect()  # keys rebuilt and dropped must not take their bodies with them
            grown = traced_growth(before, tracemalloc.take_snapshot())
        finally:
            tracemalloc.stop()
        keys = bucket_keys(BUCKET)
        warm = key_store.CACHE + 1
        assert isinstance(keys, DiskKeys) and len(keys) == 1500 + warm
        assert len(_bodies(tmp_path)) == 1500 + warm
        # moto's own FakeKeys held ~4.3 KB each: 6.4 MB here. What is left is noise of a few
        # hundred KB (moto's weak list of models is pruned in steps of 1024 references).
        assert grown < 1_000_000, grown
        assert s3.get_object(Bucket=BUCKET, Key="frames/cam/f00000.jpg")["Body"].read() == b"jpeg" * 50
        s3.put_object(Bucket=BUCKET, Key="frames/cam/f00000.jpg", Body=b"new")  # the old body goes
        s3.delete_object(Bucket=BUCKET, Key="frames/cam/f00001.jpg")
        assert len(_bodies(tmp_path)) == 1499 + warm
        assert len(keys) == 1499 + warm


def test_a_page_reads_its_rows_not_the_bucket(store: KeyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        for n in range(1200):
            s3.put_object(Bucket=BUCKET, Key=f"frames/cam{n % 2}/f{n:05d}.jpg", Body=b"x")
        thawed: list[int] = []
        real_thaw = key_store.thaw

        def counting(blob: bytes) -> list[Any]:
            thawed.append(1)
            return real_thaw(blob)

        monkeypatch.setattr(key_store, "thaw", counting)
        monkeypatch.setattr(key_store, "CHUNK", 16)
        page = s3.list_objects_v2(
            Bucket=BUCKET, Prefix="frames/cam1/", StartAfter="frames/cam1/f00600.jpg", MaxKeys=5
        )
        assert [e["Key"] for e in page["Contents"]] == [
            f"frames/cam1/f{n:05d}.jpg" for n in range(601, 611, 2)
        ]
        assert page["IsTruncated"] is True
        assert len(thawed) <= 16, len(thawed)  # one chunk of rows, not 1200


def test_expired_names_come_from_the_index(store: KeyStore) -> None:
    import time

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        for key in ("frames/a.jpg", "frames/b.jpg", "uploads/c.jpg"):
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
        keys = bucket_keys(BUCKET)
        assert keys is not None
        assert keys.expired("frames/", time.time() + 60) == ["frames/a.jpg", "frames/b.jpg"]
        assert keys.expired("frames/", time.time() - 3600) == []


def test_buckets_created_without_a_store_keep_moto_s_dict() -> None:
    moto_hooks.install_key_store(None)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
        assert bucket_keys(BUCKET) is None
        assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1


def test_the_start_up_check_covers_the_key_store_hooks() -> None:
    import moto

    assert key_store_mismatch(moto.__version__) is None

    def reshaped(self: Any, bucket: Any, prefix: Any) -> None: ...

    def lookup(symbol: Symbol) -> Any:
        return reshaped if symbol == LIST_OBJECTS_V2 else moto_hooks._lookup(symbol)

    problem = key_store_mismatch(moto.__version__, lookup)
    assert problem == (
        f"moto {moto.__version__} changed moto.s3.models.S3Backend.list_objects_v2: parameters "
        "(self, bucket, prefix), expected (" + ", ".join(LIST_OBJECTS_V2.parameters or ()) + ")"
    )


def test_a_kept_file_gives_a_bucket_created_again_its_objects_back(tmp_path: Path) -> None:
    """``framewatch up``: the next process creates the bucket again and finds every object, with
    what moto set after storing it (content type, metadata); a bucket of another name does not."""
    path, bodies = tmp_path / "kept.sqlite3", tmp_path / "kept-bodies"

    def run(check: Callable[[Any], None]) -> None:
        emulator_storage.install(tmp_path / "emulator", kept_bodies=bodies)
        store = KeyStore(path, keep=True)
        moto_hooks.install_key_store(store)
        try:
            with mock_aws():
                check(boto3.client("s3", region_name=REGION))
        finally:
            moto_hooks.install_key_store(None)
            store.close()

    def first(s3: Any) -> None:
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="frames/f1.jpg", Body=b"jpeg", ContentType="image/jpeg")
        s3.put_object(Bucket=BUCKET, Key="frames/f2.jpg", Body=b"gone")
        s3.delete_object(Bucket=BUCKET, Key="frames/f2.jpg")

    def second(s3: Any) -> None:
        s3.create_bucket(Bucket=BUCKET)
        got = s3.get_object(Bucket=BUCKET, Key="frames/f1.jpg")
        assert (got["Body"].read(), got["ContentType"]) == (b"jpeg", "image/jpeg")
        assert [e["Key"] for e in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["frames/f1.jpg"]
        s3.create_bucket(Bucket="other")
        assert s3.list_objects_v2(Bucket="other")["KeyCount"] == 0

    run(first)
    run(second)
    assert len(list(bodies.iterdir())) == 1


def test_an_older_data_dir_s_object_copies_go_into_the_kept_index_once(tmp_path: Path) -> None:
    from framewatch.embedded import snapshot

    folder = tmp_path / "snapshot"
    (folder / "objects" / "frames").mkdir(parents=True)
    (folder / "objects" / "frames" / "f1.jpg").write_bytes(b"old jpeg")
    (folder / "objects.log").write_text('["frames/f1.jpg", "etag"]\n')
    emulator_storage.install(tmp_path / "emulator", kept_bodies=folder / "s3")
    store = KeyStore(folder / "s3.sqlite3", keep=True)
    moto_hooks.install_key_store(store)
    try:
        with mock_aws():
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket=BUCKET)
            assert snapshot.restore_objects(folder, BUCKET, rules=[]) == 1
            assert s3.get_object(Bucket=BUCKET, Key="frames/f1.jpg")["Body"].read() == b"old jpeg"
            assert not (folder / "objects").exists() and not (folder / "objects.log").exists()
            assert snapshot.restore_objects(folder, BUCKET, rules=[]) == 1  # counted, not copied again
    finally:
        moto_hooks.install_key_store(None)
        store.close()


def test_a_body_read_in_large_chunks_sets_aside_only_what_it_holds() -> None:
    """moto hashes a new key's body in 16 MB reads; reading a 30 KB frame that way must not allocate
    16 MB each time (the emulator stores a frame every 200 ms)."""
    body = emulator_storage.DiskBody()  # under the fixture's folder
    body.write(b"x" * 30_000)
    body.seek(0)
    tracemalloc.start()
    try:
        first, rest = body.read(16 * 1024 * 1024), body.read(16 * 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (len(first), rest) == (30_000, b"")
    assert peak < 1024 * 1024
    body.seek(10)
    assert body.read() == b"x" * 29_990
