"""The tracker's commit against DynamoDB's answers to a cancelled transaction (botocore's Stubber
plays DynamoDB: moto never cancels a transaction for a conflict)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from framewatch.aws import tracks
from framewatch.aws.tracks import DynamoTrackStore
from framewatch.core.incidents import CameraState


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    monkeypatch.setattr(tracks, "client", lambda service: client)
    with Stubber(client) as stubber:
        yield stubber


def _cancelled(dynamodb: Stubber, *codes: str) -> None:
    dynamodb.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        modeled_fields={"CancellationReasons": [{"Code": code} for code in codes]},
    )


def _commit() -> Any:
    store = DynamoTrackStore("tracks", "incidents", "outbox")
    return store.commit("door", 3, CameraState(), [], [], expires_at=1_800_000_000)


def test_a_conflict_with_a_concurrent_write_asks_the_tracker_to_read_again(dynamodb: Stubber) -> None:
    _cancelled(dynamodb, "None", "TransactionConflict")
    assert _commit() is False


def test_another_writer_s_state_asks_the_tracker_to_read_again(dynamodb: Stubber) -> None:
    _cancelled(dynamodb, "ConditionalCheckFailed", "None")
    assert _commit() is False


def test_any_other_cancellation_is_an_error(dynamodb: Stubber) -> None:
    _cancelled(dynamodb, "None", "ValidationError")
    with pytest.raises(tracks.ClientError):
        _commit()
