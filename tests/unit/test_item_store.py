"""DynamoDB items kept in SQLite (``item_store``) answer the DynamoDB API exactly as moto's own dicts do."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from framewatch.embedded import moto_hooks
from framewatch.embedded.item_store import DiskItems, ItemStore
from framewatch.embedded.moto_hooks import TABLE_QUERY, Symbol, item_store_mismatch
from framewatch.embedded.retention import RetentionSweeper

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ItemStore]:
    items = ItemStore(tmp_path / "items.sqlite3")
    moto_hooks.install_item_store(items)
    moto_hooks.install_untracked_models()  # or moto's own list of every Item keeps them all
    try:
        yield items
    finally:
        moto_hooks.install_item_store(None)
        items.close()


def _table(name: str = "frames") -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[ACCOUNT][REGION].tables[name]


def _create(dynamodb: Any, name: str = "frames") -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "camera_id", "KeyType": "HASH"},
            {"AttributeName": "frame_key", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in ("camera_id", "frame_key", "day")
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByDay",
                "KeySchema": [
                    {"AttributeName": "day", "KeyType": "HASH"},
                    {"AttributeName": "frame_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )  # fmt: skip
    dynamodb.create_table(
        TableName=f"{name}-people",
        KeySchema=[{"AttributeName": "person_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "person_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _item(n: int) -> dict[str, Any]:
    return {
        "camera_id": {"S": f"cam{n % 3}"},
        "frame_key": {"S": f"2026-11-{1 + n % 2:02d}T00:00:{n:05d}Z#f{n}"},
        "day": {"S": f"2026-11-{1 + n % 2:02d}"},
        "seq": {"N": str(n)},
        "blob": {"B": bytes([n % 256, 0, 255])},
        "labels": {"M": {"names": {"L": [{"S": "Person"}, {"N": "91.5"}]}, "ok": {"BOOL": True}}},
        "tags": {"SS": ["a", f"t{n % 4}"]},
        "gone": {"NULL": True},
        "expires_at": {"N": str(1_000 + n)},
    }


def _exercise(dynamodb: Any) -> list[Any]:
    """The operations the stack makes, and their answers (without request metadata)."""
    answers: list[Any] = []

    def keep(answer: dict[str, Any]) -> None:
        answers.append({k: v for k, v in answer.items() if k != "ResponseMetadata"})

    _create(dynamodb)
    for n in range(120):
        dynamodb.put_item(TableName="frames", Item=_item(n))
    for n in range(5):
        dynamodb.put_item(TableName="frames-people", Item={"person_id": {"S": f"p{n}"}, "name": {"S": "Ada"}})
    keep(dynamodb.get_item(TableName="frames", Key={k: _item(7)[k] for k in ("camera_id", "frame_key")}))
    keep(dynamodb.get_item(TableName="frames-people", Key={"person_id": {"S": "p3"}}))
    keep(dynamodb.get_item(TableName="frames-people", Key={"person_id": {"S": "nobody"}}))
    for forward in (True, False):
        keep(
            dynamodb.query(
                TableName="frames",
                KeyConditionExpression="camera_id = :c AND frame_key > :k",
                ExpressionAttributeValues={":c": {"S": "cam1"}, ":k": {"S": "2026-11-01T00:00:00030Z"}},
                ScanIndexForward=forward,
                Limit=7,
            )
        )
        keep(
            dynamodb.query(
                TableName="frames",
                IndexName="ByDay",
                KeyConditionExpression="#d = :d",
                ExpressionAttributeNames={"#d": "day"},
                ExpressionAttributeValues={":d": {"S": "2026-11-02"}},
                ScanIndexForward=forward,
                Limit=9,
            )
        )
    pages = dynamodb.get_paginator("scan").paginate(TableName="frames", PaginationConfig={"PageSize": 17})
    keep({"scan": [item for page in pages for item in page["Items"]]})
    keep(
        dynamodb.scan(
            TableName="frames",
            FilterExpression="expires_at < :t",
            ExpressionAttributeValues={":t": {"N": "1010"}},
            ProjectionExpression="camera_id, frame_key",
        )
    )
    keep(dynamodb.scan(TableName="frames-people", Limit=2))
    key = {k: _item(8)[k] for k in ("camera_id", "frame_key")}
    keep(
        dynamodb.update_item(
            TableName="frames",
            Key=key,
            UpdateExpression="SET #s = :s ADD seq :one",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":s": {"S": "ended"}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
    )
    keep(dynamodb.get_item(TableName="frames", Key=key))
    keep(  # an update that creates its item
        dynamodb.update_item(
            TableName="frames-people",
            Key={"person_id": {"S": "p9"}},
            UpdateExpression="SET #n = :n",
            ExpressionAttributeNames={"#n": "name"},
            ExpressionAttributeValues={":n": {"S": "Grace"}},
            ReturnValues="ALL_NEW",
        )
    )
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.put_item(
            TableName="frames", Item=_item(9), ConditionExpression="attribute_not_exists(camera_id)"
        )
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "frames-people", "Item": {"person_id": {"S": "p-new"}}}},
                {"Update": {"TableName": "frames", "Key": key, "UpdateExpression": "SET seq = :z",
                            "ExpressionAttributeValues": {":z": {"N": "0"}}}},
                {"Put": {"TableName": "frames", "Item": _item(10),
                         "ConditionExpression": "attribute_not_exists(camera_id)"}},
            ]
        )  # fmt: skip
    keep(dynamodb.get_item(TableName="frames-people", Key={"person_id": {"S": "p-new"}}))  # rolled back
    keep(dynamodb.get_item(TableName="frames", Key=key))  # its update too
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "frames-people", "Item": {"person_id": {"S": "p-tx"}}}},
            {"Delete": {"TableName": "frames", "Key": key}},
        ]
    )
    keep(dynamodb.get_item(TableName="frames-people", Key={"person_id": {"S": "p-tx"}}))
    keep(dynamodb.get_item(TableName="frames", Key=key))
    keep(
        dynamodb.delete_item(
            TableName="frames-people", Key={"person_id": {"S": "p1"}}, ReturnValues="ALL_OLD"
        )
    )
    answers.append(dynamodb.describe_table(TableName="frames")["Table"]["ItemCount"])
    answers.append(dynamodb.describe_table(TableName="frames-people")["Table"]["ItemCount"])
    return answers


def _run(operations: Callable[[Any], list[Any]]) -> list[Any]:
    with mock_aws():
        return operations(boto3.client("dynamodb", region_name=REGION))


def test_every_operation_answers_as_moto_in_memory_does(store: ItemStore) -> None:
    on_disk = _run(_exercise)
    moto_hooks.install_item_store(None)
    in_memory = _run(_exercise)
    assert on_disk == in_memory
    assert on_disk[0]["Item"]["blob"] == {"B": bytes([7, 0, 255])}


def test_items_live_in_the_sqlite_file_not_in_the_process(store: ItemStore) -> None:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _create(dynamodb)
        table = _table()
        assert isinstance(table.items, DiskItems)
        dynamodb.put_item(TableName="frames", Item=_item(0))  # warm up the code paths
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for n in range(1, 1501):
                dynamodb.put_item(TableName="frames", Item=_item(n))
            gc.collect()  # items in reference cycles go at the next collection, not at once
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert store.count(table.items.tid) == 1501
        # moto's own dicts (and its list of every Item) held ~9 KB per item like these: 13 MB here.
        assert grown < 1_000_000, grown


def test_a_deleted_table_leaves_no_rows_and_a_new_one_of_that_name_starts_empty(store: ItemStore) -> None:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _create(dynamodb)
        dynamodb.put_item(TableName="frames", Item=_item(1))
        old = _table().items.tid
        dynamodb.delete_table(TableName="frames")
        assert store.count(old) == 0
        dynamodb.delete_table(TableName="frames-people")
        _create(dynamodb)
        assert dynamodb.scan(TableName="frames")["Items"] == []


def test_tables_created_without_a_store_keep_moto_s_dict(tmp_path: Path) -> None:
    moto_hooks.install_item_store(None)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _create(dynamodb)
        assert not isinstance(_table().items, DiskItems)
        dynamodb.put_item(TableName="frames", Item=_item(1))
        assert dynamodb.scan(TableName="frames")["Count"] == 1


def test_the_start_up_check_covers_the_item_store_hooks() -> None:
    import moto

    assert item_store_mismatch(moto.__version__) is None

    def reshaped(self: Any, hash_key: Any, limit: int) -> None: ...

    def lookup(symbol: Symbol) -> Any:
        return reshaped if symbol == TABLE_QUERY else moto_hooks._lookup(symbol)

    problem = item_store_mismatch(moto.__version__, lookup)
    assert problem == (
        f"moto {moto.__version__} changed moto.dynamodb.models.table.Table.query: parameters "
        "(self, hash_key, limit), expected (" + ", ".join(TABLE_QUERY.parameters or ()) + ")"
    )
    assert "\n" not in problem


def test_a_kept_file_gives_a_table_created_again_its_items_back(tmp_path: Path) -> None:
    """``framewatch up``: the next process creates the same table and finds every item, index
    included; a table with other key attributes under the same name does not see them."""
    path = tmp_path / "kept.sqlite3"
    item = {
        "camera_id": {"S": "door"},
        "frame_key": {"S": "2026-11-28T10:00:00.000Z#f1"},
        "day": {"S": "2026-11-28"},
    }

    def run(check: Callable[[Any], None]) -> None:
        store = ItemStore(path, keep=True)
        moto_hooks.install_item_store(store)
        try:
            with mock_aws():
                check(boto3.client("dynamodb", region_name=REGION))
        finally:
            moto_hooks.install_item_store(None)
            store.close()

    def first(dynamodb: Any) -> None:
        _create(dynamodb)
        dynamodb.put_item(TableName="frames", Item=item)

    def second(dynamodb: Any) -> None:
        _create(dynamodb)
        assert dynamodb.scan(TableName="frames")["Items"] == [item]
        by_day = dynamodb.query(
            TableName="frames",
            IndexName="ByDay",
            KeyConditionExpression="#d = :d",
            ExpressionAttributeNames={"#d": "day"},
            ExpressionAttributeValues={":d": {"S": "2026-11-28"}},
        )
        assert by_day["Items"] == [item]

    def other_keys(dynamodb: Any) -> None:
        dynamodb.create_table(
            TableName="frames",
            KeySchema=[{"AttributeName": "frame_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "frame_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        assert dynamodb.scan(TableName="frames")["Items"] == []

    run(first)
    run(second)
    run(other_keys)
    run(second)  # still there for the table it belongs to

    def deleted(dynamodb: Any) -> None:
        _create(dynamodb)
        for name in ("frames", "frames-people"):
            dynamodb.delete_table(TableName=name)
        _create(dynamodb)
        assert dynamodb.scan(TableName="frames")["Items"] == []

    run(deleted)


def _ttl_sweep(dynamodb: Any) -> list[Any]:
    """Items past, before and without their TTL in a ranged and a hash-only table (numeric and
    binary keys); what the retention sweep leaves of them."""
    _create(dynamodb)
    dynamodb.create_table(
        TableName="tracks",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName="blobs",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "B"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for table in ("frames", "tracks", "blobs"):
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    now = 1_800_000_000
    expiries: list[dict[str, Any] | None] = [
        {"N": str(now - 60)},  # past: deleted
        {"N": str(now + 60)},  # to come: kept
        None,  # no TTL: kept
        {"N": f"{now - 1}.5"},  # past, with a fraction: deleted
    ]
    for n, expiry in enumerate(expiries):
        extra = {"expires_at": expiry} if expiry else {}
        frame = {key: value for key, value in _item(n).items() if key != "expires_at"}
        dynamodb.put_item(TableName="frames", Item={**frame, **extra})
        dynamodb.put_item(TableName="tracks", Item={"id": {"N": str(n)}, **extra})
        dynamodb.put_item(TableName="blobs", Item={"id": {"B": bytes([n, 0, 255])}, **extra})
    sweeper = RetentionSweeper(
        bucket="unused",
        tables=["frames", "tracks", "blobs"],
        stream="unused",
        log_root=Path("."),
        log_groups={},
    )
    deleted = sweeper._expire_items(datetime.fromtimestamp(now, UTC))
    left = {
        table: sorted(str(item) for item in dynamodb.scan(TableName=table)["Items"])
        for table in ("frames", "tracks", "blobs")
    }
    return [deleted, left]


def test_the_ttl_sweep_reads_expiries_from_the_store_and_deletes_what_a_scan_finds(store: ItemStore) -> None:
    on_disk = _run(_ttl_sweep)
    moto_hooks.install_item_store(None)
    with_scan = _run(_ttl_sweep)  # no store: the sweep scans through the API
    assert on_disk == with_scan
    deleted, left = on_disk
    assert deleted == 6 and all(len(items) == 2 for items in left.values())


def test_a_ttl_attribute_that_is_not_a_number_never_expires_its_item(store: ItemStore) -> None:
    # (moto's own Scan fails comparing such a value with a number, so the test above leaves it out)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        _create(dynamodb)
        dynamodb.put_item(TableName="frames", Item={**_item(1), "expires_at": {"S": "1"}})
        dynamodb.put_item(TableName="frames", Item={**_item(2), "expires_at": {"N": "1"}})
        expired = _table().items.expired_keys("expires_at", 1_800_000_000)
        assert expired == [{"camera_id": _item(2)["camera_id"], "frame_key": _item(2)["frame_key"]}]
