"""Every top-level task of both workflows catches into a recorded failure (issue 12): a bad upload
reaches the dead-letter queue and the workflow ends cleanly; an enrollment whose record cannot be
written leaves the person `failed`, never `pending`. Real ASL on the embedded stack."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from framewatch.aws.clients import client
from framewatch.embedded.stack import EmbeddedStack
from framewatch.embedded.template import REPO_ROOT
from framewatch.ops.dlq import summary

from ..support.frames import ClipFrames, wait_for


@pytest.fixture(scope="module")
def face(clip_frames: ClipFrames) -> bytes:
    return clip_frames("carphone_pristine.mp4", [0])[0]


@pytest.mark.parametrize("workflow", ["analyze_frames", "enroll_face"])
def test_every_top_level_task_has_a_catch(workflow: str) -> None:
    states = json.loads(Path(REPO_ROOT / "statemachines" / f"{workflow}.asl.json").read_text())["States"]
    uncaught = [
        name
        for name, state in states.items()
        if state["Type"] == "Task"
        and not any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", []))
        # the dead-letter sends are the last resort: their own failure is the execution's failure
        and "dead-letter queue" not in name
    ]
    assert uncaught == []


def _dead_letters(stack: EmbeddedStack) -> list[dict]:
    sqs, found = client("sqs"), []
    while batch := sqs.receive_message(
        QueueUrl=stack.resource("DeadLetterQueue"), MaxNumberOfMessages=10
    ).get("Messages", []):
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(
                QueueUrl=stack.resource("DeadLetterQueue"), ReceiptHandle=message["ReceiptHandle"]
            )
    return found


def test_an_unreadable_upload_is_dead_lettered_and_the_execution_succeeds(stack: EmbeddedStack) -> None:
    key = f"uploads/{uuid.uuid4().hex}.jpg"
    client("s3").put_object(Bucket=stack.media_bucket, Key=key, Body=b"this is not an image")
    letters: list[dict] = []
    wait_for(
        lambda: letters.extend(b for b in _dead_letters(stack) if b.get("s3_key") == key) or letters,
        what="the upload's dead letter",
    )
    (letter,) = letters
    assert letter["stage"] == "upload"
    assert letter["event"]["detail"]["object"]["key"] == key
    assert letter["error"]["Error"]  # the handler's error name, e.g. BadImage
    assert summary(letter).startswith(f"upload   {key}: ")
    sfn = client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=stack.resource("AnalyzeFramesStateMachine"))[
        "executions"
    ]
    mine = [
        e
        for e in executions
        if key in sfn.describe_execution(executionArn=e["executionArn"]).get("input", "")
    ]
    assert [e["status"] for e in mine] == ["SUCCEEDED"]  # nothing for the failed-executions alarm


def test_a_person_whose_record_cannot_be_written_ends_failed_not_pending(
    face: bytes, stack: EmbeddedStack
) -> None:
    people = stack.resource("PeopleTable")
    # face_ids stored as a string: the workflow's `ADD face_ids :face` (a string set) is refused.
    client("dynamodb").put_item(
        TableName=people,
        Item={
            "person_id": {"S": "ada"},
            "display_name": {"S": "Ada"},
            "status": {"S": "pending"},
            "face_ids": {"S": "not-a-set"},
        },
    )
    client("s3").put_object(Bucket=stack.media_bucket, Key="enroll/ada/photo.jpg", Body=face)

    def person() -> dict:
        return client("dynamodb").get_item(TableName=people, Key={"person_id": {"S": "ada"}})["Item"]

    def status() -> str | None:
        return None if person()["status"]["S"] == "pending" else person()["status"]["S"]

    # The first status after `pending` is the one that counts: a refused UpdateItem changes nothing
    # (on moto too, see moto_hooks._atomic_updates), so `enrolled` is never seen, not even briefly.
    assert wait_for(status, what="ada's enrollment to end") == "failed"
    sfn = client("stepfunctions")

    def ended() -> list[dict]:
        executions = sfn.list_executions(stateMachineArn=stack.resource("EnrollFaceStateMachine"))[
            "executions"
        ]
        mine = [
            sfn.describe_execution(executionArn=e["executionArn"])
            for e in executions
            if e["status"] != "RUNNING"
        ]
        return [e for e in mine if "enroll/ada/photo.jpg" in e.get("input", "")]

    (execution,) = wait_for(ended, what="the enrollment's execution to end")
    assert (execution["status"], execution.get("error")) == ("FAILED", "EnrollmentFailed")
    final = person()
    assert final["status"] == {"S": "failed"} and final["last_image"] == {"S": "enroll/ada/photo.jpg"}
    assert final["face_ids"] == {"S": "not-a-set"}  # the refused update left the record alone
