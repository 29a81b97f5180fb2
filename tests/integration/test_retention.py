"""The embedded stack expires what the template says AWS would: lifecycle rules, TTL, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from framewatch.aws.clients import client
from framewatch.embedded import retention
from framewatch.embedded.deployer import ACCOUNT_ID
from framewatch.embedded.stack import ALERT_SINK_RETENTION_S
from framewatch.media import clip_jpegs

from .conftest import Pipeline, start_time

FRAME = clip_jpegs("bikes.mp4", [50])[50]


def _keys(stack) -> set[str]:  # type: ignore[no-untyped-def]
    pages = client("s3").get_paginator("list_objects_v2").paginate(Bucket=stack.media_bucket)
    return {o["Key"] for p in pages for o in p.get("Contents", [])}


def _sink_count(stack) -> int:  # type: ignore[no-untyped-def]
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=stack.alert_sink_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_expired_frames_objects_records_and_logs_are_deleted(
    stack, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline.put([pipeline.record("expiry", FRAME, seq=0, at=start_time())], "expiry")
    now = datetime.now(UTC)
    frames, dynamodb, s3 = stack.resource("FramesTable"), client("dynamodb"), client("s3")
    stale = {"camera_id": {"S": "expiry"}, "frame_key": {"S": "2020-01-01T00:00:00.000Z#old"}}
    dynamodb.put_item(TableName=frames, Item={**stale, "expires_at": {"N": str(int(now.timestamp()) - 60)}})
    s3.put_object(Bucket=stack.media_bucket, Key="enroll/ada/photo.jpg", Body=FRAME)
    old_log = stack.execution_logs.root / "aws/vendedlogs/states/framewatch-analyze-frames/2020-01-01.jsonl"
    old_log.write_text("{}\n")
    frame_keys = {k for k in _keys(stack) if k.startswith("frames/expiry/")}
    assert frame_keys

    swept = stack.retention.sweep(now)  # today: only what is already past its TTL or retention
    assert swept["items"] == 1 and "Item" not in dynamodb.get_item(TableName=frames, Key=stale)
    live = dynamodb.query(
        TableName=frames,
        KeyConditionExpression="camera_id = :c",
        ExpressionAttributeValues={":c": {"S": "expiry"}},
    )["Items"]
    assert len(live) == 1  # the frame just analysed stays
    assert frame_keys <= _keys(stack) and swept["objects"] == 0
    assert not old_log.exists() and swept["log_files"] == 1
    assert list(old_log.parent.glob("*.jsonl"))  # today's history stays

    def incoming_records(around: datetime) -> dict[str, float] | None:
        answer = client("cloudwatch").get_metric_statistics(
            Namespace="AWS/Kinesis",
            MetricName="IncomingRecords",
            Dimensions=[{"Name": "StreamName", "Value": stack.stream_name}],
            StartTime=around - timedelta(hours=1),
            EndTime=around + timedelta(minutes=5),
            Period=7200,
            Statistics=["Sum", "SampleCount"],
        )["Datapoints"]
        return {"Sum": answer[0]["Sum"], "SampleCount": answer[0]["SampleCount"]} if answer else None

    incoming_before = incoming_records(now)
    assert incoming_before is not None and incoming_before["Sum"] >= 1

    # The local SNS subscriber's queue keeps alerts minutes, not a day (it is memory in the emulator).
    client("sns").publish(TopicArn=stack.resource("AlertTopic"), Message="expiry test alert")
    assert _sink_count(stack) >= 1
    assert stack.retention.sweep(now)["sink_messages"] == 0
    past_sink = stack.retention.sweep(now + timedelta(seconds=ALERT_SINK_RETENTION_S + 60))
    assert past_sink["sink_messages"] >= 1 and _sink_count(stack) == 0
    # moto's own record of each message and delivery certificate: only the newest are kept.
    from moto.sns.models import sns_backends

    sns_backend = sns_backends[ACCOUNT_ID][stack.options.region]
    topic = sns_backend.topics[stack.resource("AlertTopic")]
    client("sns").publish(TopicArn=topic.arn, Message="a second alert")
    assert len(topic.sent_notifications) >= 2 and len(sns_backend._message_public_keys) >= 2
    monkeypatch.setattr(retention, "SNS_RECORDS_KEPT", 1)
    assert stack.retention.sweep(now)["sns_records"] >= 2
    assert [sent[1] for sent in topic.sent_notifications] == ["a second alert"]
    assert len(sns_backend._message_public_keys) == 1

    bodies = stack.data_dir / "emulator" / "s3"  # the emulator keeps object bodies on disk
    bodies_before = len(list(bodies.iterdir()))
    assert list((stack.data_dir / "emulator" / "kinesis").glob("*.seg"))
    later = stack.retention.sweep(now + timedelta(days=8))  # past FrameRetentionDays (7) and 24 h
    assert not frame_keys & _keys(stack) and later["objects"] >= len(frame_keys)
    assert "enroll/ada/photo.jpg" in _keys(stack)  # no lifecycle rule for enrollment photos
    assert later["items"] >= 1  # the analysed frame's own TTL has passed too
    assert later["stream_records"] >= 1
    # Kinesis's CloudWatch data points: rolled into one per minute, with the same statistics.
    assert later["metric_points"] >= 1 or incoming_before["SampleCount"] == 1
    assert incoming_records(now) == incoming_before
    assert stack.retention.sweep(now + timedelta(days=16))["metric_points"] >= 1  # 15 days kept
    assert incoming_records(now) is None
    kinesis = client("kinesis")
    shard = kinesis.list_shards(StreamName=stack.stream_name)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stack.stream_name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []
    assert not list((stack.data_dir / "emulator" / "kinesis").glob("*.seg"))  # their data too
    assert len(list(bodies.iterdir())) <= bodies_before - len(frame_keys)
