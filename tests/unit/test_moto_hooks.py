"""The start-up check of the moto internals the embedded stack replaces."""

from __future__ import annotations

from typing import Any

import moto
import pytest

from framewatch.embedded import moto_hooks
from framewatch.embedded.moto_hooks import MOTO_VERSION, SEND_TO_TARGETS, Symbol, mismatch
from framewatch.errors import UserError


def test_the_pinned_moto_has_every_symbol_with_the_expected_parameters() -> None:
    assert moto.__version__ == MOTO_VERSION
    assert mismatch(moto.__version__) is None
    moto_hooks.check()  # does not raise


def test_another_moto_version_stops_the_stack_naming_both_versions() -> None:
    problem = mismatch("5.3.0")
    assert problem is not None
    assert "moto 5.3.0" in problem and MOTO_VERSION in problem and "\n" not in problem


def test_a_symbol_with_other_parameters_is_named() -> None:
    def reshaped(self: Any, event: Any, transform_input: bool, extra: int) -> None: ...

    def lookup(symbol: Symbol) -> Any:
        return reshaped if symbol == SEND_TO_TARGETS else moto_hooks._lookup(symbol)

    assert mismatch(MOTO_VERSION, lookup) == (
        f"moto {MOTO_VERSION} changed moto.events.models.Rule.send_to_targets: parameters "
        "(self, event, transform_input, extra), expected (self, original_event, transform_input)"
    )


def test_a_missing_symbol_is_named() -> None:
    def lookup(symbol: Symbol) -> Any:
        if symbol.name == "copy":
            raise AttributeError(symbol.name)
        return moto_hooks._lookup(symbol)

    problem = mismatch(MOTO_VERSION, lookup)
    assert problem is not None
    assert problem.startswith(f"moto {MOTO_VERSION} has no moto.stepfunctions.parser.")
    assert problem.endswith(".copy, which the embedded stack replaces or calls")


def test_check_raises_one_line_for_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "6.0.0")
    with pytest.raises(UserError) as raised:
        moto_hooks.check()
    assert str(raised.value).startswith("moto 6.0.0 is installed") and "\n" not in str(raised.value)


def test_the_execution_end_hook_is_checked_like_the_others() -> None:
    assert moto_hooks.execution_end_mismatch(MOTO_VERSION) is None

    def reshaped(self: Any, reason: str) -> None: ...

    def lookup(symbol: Symbol) -> Any:
        return reshaped if symbol == moto_hooks.EXECUTION_TERMINATED else moto_hooks._lookup(symbol)

    assert moto_hooks.execution_end_mismatch(MOTO_VERSION, lookup) == (
        f"moto {MOTO_VERSION} changed moto.stepfunctions.parser.backend.execution."
        "BaseExecutionWorkerCommunication.terminated: parameters (self, reason), expected (self)"
    )


def test_moto_models_are_tracked_weakly_so_a_dropped_one_is_freed() -> None:
    import gc
    import weakref

    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    assert moto_hooks.untracked_models_mismatch(MOTO_VERSION) is None
    moto_hooks.install_untracked_models()
    kept = Item(DynamoType({"S": "a"}), None, {"k": {"S": "a"}})
    dropped = Item(DynamoType({"S": "b"}), None, {"k": {"S": "b"}})
    gone = weakref.ref(dropped)
    del dropped
    gc.collect()
    assert gone() is None  # moto's own list kept every Item it ever made, for as long as the process
    assert any(item is kept for item in Item.instances_tracked)  # type: ignore[attr-defined]


def _create_table(dynamodb: Any, name: str, key: str) -> None:
    """A table keyed by one string attribute."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_a_failed_update_leaves_the_item_as_it_was() -> None:
    """EnrollFace's "Record the person" SETs the status, then ADDs to face_ids; when the ADD is refused,
    DynamoDB applies none of it. moto applied the SETs (the person showed `enrolled` before `failed`)."""
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    moto_hooks._atomic_updates()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        _create_table(dynamodb, "people", "person_id")
        stored = {"person_id": {"S": "ada"}, "status": {"S": "pending"}, "face_ids": {"S": "not-a-set"}}
        dynamodb.put_item(TableName="people", Item=stored)
        with pytest.raises(ClientError, match="ValidationException"):
            dynamodb.update_item(
                TableName="people",
                Key={"person_id": {"S": "ada"}},
                UpdateExpression="SET #status = :status ADD face_ids :face",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":status": {"S": "enrolled"}, ":face": {"SS": ["f-1"]}},
            )
        assert dynamodb.get_item(TableName="people", Key={"person_id": {"S": "ada"}})["Item"] == stored
        # and an update that works still applies all of it
        dynamodb.update_item(
            TableName="people",
            Key={"person_id": {"S": "ada"}},
            UpdateExpression="SET #status = :status REMOVE face_ids",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":status": {"S": "failed"}},
        )
        item = dynamodb.get_item(TableName="people", Key={"person_id": {"S": "ada"}})["Item"]
        assert item == {"person_id": {"S": "ada"}, "status": {"S": "failed"}}


def _update_expressions() -> list[Any]:
    """Updates of many actions, repeated texts, and the clause errors DynamoDB names: what each
    answers, and the item they leave."""
    import boto3
    from moto import mock_aws

    answers: list[Any] = []
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        _create_table(dynamodb, "incidents", "id")
        many = "SET " + ", ".join(f"#a{n} = :v{n}" for n in range(20)) + ", s = if_not_exists(s, :v0)"
        names = {f"#a{n}": f"attr{n}" for n in range(20)}
        expressions = [
            (many, names),
            (many, names),  # the same text again: the same answer
            ("SET a = :v1 REMOVE attr3 ADD n :one", {}),
            ("SET a = :v1 SET b = :v1", {}),
            ("SET a = :v1, c = :v2 REMOVE x REMOVE y", {}),
            ("ADD n :one ADD m :one", {}),
            ("SET a = :v1 REMOVE b SET c = :v2", {}),
        ]
        for text, attribute_names in expressions:
            values = {f":v{n}": {"S": f"value {n}"} for n in range(20) if f":v{n}" in text}
            if ":one" in text:
                values[":one"] = {"N": "1"}
            request: dict[str, Any] = {"UpdateExpression": text, "ExpressionAttributeValues": values}
            if attribute_names:
                request["ExpressionAttributeNames"] = attribute_names
            try:
                dynamodb.update_item(TableName="incidents", Key={"id": {"S": "i-1"}}, **request)
                answers.append("ok")
            except Exception as exc:
                answers.append(str(exc))
        answers.append(dynamodb.get_item(TableName="incidents", Key={"id": {"S": "i-1"}})["Item"])
    return answers


def test_update_expressions_parsed_once_answer_as_moto_s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from moto.dynamodb.parsing import validators

    moto_hooks._speed_up_update_expressions()
    hooked = _update_expressions()
    original = moto_hooks._originals
    with monkeypatch.context() as patch:
        patch.setattr(
            importlib.import_module("moto.dynamodb.parsing.expressions").UpdateExpressionParser,
            "make",
            staticmethod(original[moto_hooks.UPDATE_EXPRESSION_PARSE.qualified]),
        )
        patch.setattr(
            validators.ActionCountValidator,
            "verify_action_counts",
            original[moto_hooks.ACTION_COUNTS.qualified],
        )
        moto_s = _update_expressions()
    assert hooked == moto_s
    assert hooked[:3] == ["ok", "ok", "ok"] and all("can only be used once" in a for a in hooked[3:7])
    assert hooked[-1]["attr19"] == {"S": "value 19"} and hooked[-1]["n"] == {"N": "1"}


def test_shard_reads_answer_as_moto_s_own_from_any_point() -> None:
    """The O(1) ends and the direct read give what moto's walk from the oldest record gives, also
    after the retention trimmed the oldest records."""
    from collections import OrderedDict

    from moto.kinesis.models import Shard

    moto_hooks._speed_up_shards()
    original = moto_hooks._originals
    shard = Shard(0, 0, 2**128)
    for n in range(300):
        shard.put_record(f"cam{n % 3}", f"record {n}", "")
    assert list(shard.records) == list(range(1, 301))  # numbered 1, 2, ... by the hooked put
    shard.records = OrderedDict((seq, r) for seq, r in shard.records.items() if seq > 40)  # trimmed

    def answers(get: Any, first: Any, last: Any) -> list[Any]:
        found: list[Any] = [first(shard), last(shard)]
        for after, limit in ((0, 10), (39, 5), (41, 1), (150, None), (295, 10), (300, 10), (500, 3)):
            records, last_id, behind = get(shard, str(after), limit)
            found.append(([r.sequence_number for r in records], last_id, behind))
        return found

    hooked = answers(Shard.get_records, Shard.get_min_sequence_number, Shard.get_max_sequence_number)
    moto_s = answers(
        original[moto_hooks.SHARD_GET_RECORDS.qualified],
        original[moto_hooks.SHARD_MIN_SEQUENCE.qualified],
        original[moto_hooks.SHARD_MAX_SEQUENCE.qualified],
    )
    assert hooked == moto_s
    assert hooked[2][0] == list(range(41, 51))


def test_the_workflow_s_sdk_tasks_reach_moto_in_this_process_not_over_http(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The clients the interpreter gets write to moto's backends directly: with the configured
    endpoint pointing at a closed port (no server), a PutItem still lands and reads back."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.stepfunctions.parser.asl.utils import boto_client

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: HTTP would fail
    moto_hooks._speed_up_interpreter()
    dynamodb: Any = boto_client.boto_client_for("eu-west-1", "dynamodb")
    assert dynamodb.meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    dynamodb.create_table(
        TableName="in-process",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        dynamodb.put_item(TableName="in-process", Item={"id": {"S": "f1"}, "labels": {"N": "3"}})
        table = dynamodb_backends["123456789012"]["eu-west-1"].get_table("in-process")
        assert len(list(table.all_items())) == 1
        item = dynamodb.get_item(TableName="in-process", Key={"id": {"S": "f1"}})["Item"]
        assert item == {"id": {"S": "f1"}, "labels": {"N": "3"}}
    finally:
        dynamodb.delete_table(TableName="in-process")
