"""Generic reads and deletes for operations: queue messages, stream puts, table scans, bucket listings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from framewatch.aws.clients import client

# --- SQS ------------------------------------------------------------------------------------------


def queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def receive_messages(url: str, visibility_seconds: int, wait_seconds: int = 1) -> list[dict[str, Any]]:
    response = client("sqs").receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=visibility_seconds,
        WaitTimeSeconds=wait_seconds,
        MessageSystemAttributeNames=["SentTimestamp"],
    )
    return list(response.get("Messages", []))


def delete_message(url: str, receipt_handle: str) -> None:
    client("sqs").delete_message(QueueUrl=url, ReceiptHandle=receipt_handle)


def release_message(url: str, receipt_handle: str) -> None:
    """Make a received message visible again at once (it stays in the queue)."""
    client("sqs").change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)


def queue_depth(url: str) -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


# --- Kinesis --------------------------------------------------------------------------------------


def put_record(stream: str, data: bytes, partition_key: str) -> str:
    response = client("kinesis").put_record(StreamName=stream, Data=data, PartitionKey=partition_key)
    return str(response["SequenceNumber"])


# --- DynamoDB -------------------------------------------------------------------------------------


def scan(table: str, projection: str, names: dict[str, str]) -> Iterator[dict[str, Any]]:
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=table, ProjectionExpression=projection, ExpressionAttributeNames=names)
    )
    for page in pages:
        yield from page.get("Items", [])


def delete_items(table: str, keys: list[dict[str, Any]]) -> int:
    """BatchWriteItem deletes, 25 at a time, retrying what DynamoDB hands back unprocessed."""
    dynamodb = client("dynamodb")
    for start in range(0, len(keys), 25):
        request = {table: [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return len(keys)


# --- S3 -------------------------------------------------------------------------------------------


def list_objects(bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def delete_objects(bucket: str, keys: list[str]) -> int:
    s3 = client("s3")
    for start in range(0, len(keys), 1000):
        chunk = [{"Key": key} for key in keys[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
    return len(keys)


def empty_bucket(bucket: str) -> int:
    """Delete every object version and delete marker (CloudFormation only deletes empty buckets)."""
    s3 = client("s3")
    deleted = 0
    try:
        pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return 0
        raise
    for page in pages:
        entries = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(entries), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": entries[start : start + 1000], "Quiet": True})
        deleted += len(entries)
    return deleted


def bucket_exists(bucket: str) -> bool:
    try:
        client("s3").head_bucket(Bucket=bucket)
    except ClientError:
        return False
    return True


def read_records(
    stream: str, shard_id: str, first: str, last: str, limit: int = 10_000
) -> list[dict[str, Any]]:
    """Records of one shard from sequence number ``first`` to ``last`` inclusive (while retained)."""
    kinesis = client("kinesis")
    iterator = kinesis.get_shard_iterator(
        StreamName=stream,
        ShardId=shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=first,
    )["ShardIterator"]
    found: list[dict[str, Any]] = []
    while iterator and len(found) < limit:
        response = kinesis.get_records(ShardIterator=iterator, Limit=100)
        for record in response["Records"]:
            if int(record["SequenceNumber"]) > int(last):
                return found
            found.append(record)
        if not response["Records"]:
            break
        iterator = response.get("NextShardIterator")
    return found
