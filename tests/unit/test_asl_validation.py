"""Issue 15: workflow definitions are checked the way Step Functions checks them, before anything runs.

The start-time cases run the real EmbeddedStack.start() on a copy of the repository's template and
statemachines/ with one mistake in the ASL: the check comes first, so each test takes milliseconds and
must leave nothing started (no data dir, no emulator endpoint in the environment)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from framewatch.embedded.stack import EmbeddedStack, StackOptions
from framewatch.embedded.template import REPO_ROOT, TEMPLATE
from framewatch.errors import UserError
from framewatch.workflows.validate import validate_definition, validate_template_workflows

ENROLL = "statemachines/enroll_face.asl.json"


def enroll_definition() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / ENROLL).read_text()))


def broken_tree(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """template.yaml and statemachines/ copied to tmp_path, with ``edit`` applied to EnrollFace."""
    shutil.copy(TEMPLATE, tmp_path / "template.yaml")
    shutil.copytree(REPO_ROOT / "statemachines", tmp_path / "statemachines")
    definition = enroll_definition()
    edit(definition)
    (tmp_path / ENROLL).write_text(json.dumps(definition, indent=2))
    return tmp_path / "template.yaml"


def start_refused(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> list[str]:
    template = broken_tree(tmp_path, edit)
    data_dir = tmp_path / "data"
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    with pytest.raises(UserError) as refused:
        EmbeddedStack(StackOptions(data_dir=data_dir, template=template, serve_ui=False)).start()
    assert not data_dir.exists(), "the stack wrote state before refusing the workflow"
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint, "the emulator was started"
    lines = str(refused.value).splitlines()
    assert lines[-1].startswith("AWS would refuse to deploy this workflow: fix "), lines
    for line in lines[:-1]:
        assert line.startswith(f"{template.parent / ENROLL}: "), line
    return lines[:-1]


def set_in(path: list[str | int], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(definition: dict[str, Any]) -> None:
        target: Any = definition
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def test_the_shipped_workflows_pass_with_their_substitutions() -> None:
    assert validate_template_workflows(TEMPLATE) == []


def test_a_dangling_next_is_refused_at_start_naming_the_state(tmp_path: Path) -> None:
    problems = start_refused(tmp_path, set_in(["States", "Index the face", "Next"], "Exactly one face"))
    assert any(
        'No state found named "Exactly one face", referenced at State Machine.States.Index the face.Next'
        in line
        for line in problems
    ), problems


def test_an_unreachable_state_is_refused_at_start_naming_it(tmp_path: Path) -> None:
    problems = start_refused(tmp_path, set_in(["States", "Forgotten note"], {"Type": "Pass", "End": True}))
    assert [line.split(": ", 1)[1] for line in problems] == [
        "No transition found to state State Machine.Forgotten note"
    ]


def test_a_catch_to_a_missing_state_is_refused_at_start_naming_both(tmp_path: Path) -> None:
    problems = start_refused(
        tmp_path, set_in(["States", "Index the face", "Catch", 0, "Next"], "Enrolment failed")
    )
    assert any(
        'No state found named "Enrolment failed", referenced at State Machine.States.Index the face' in line
        for line in problems
    ), problems


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ["States", "Index the face", "ResultPath"],
            "error",
            'State Machine.States.Index the face.ResultPath is "error" but should be a Reference Path',
        ),
        (
            ["States", "Index the face", "OutputPath"],
            "Payload",
            'State Machine.States.Index the face.OutputPath is "Payload" but should be a JSONPath',
        ),
        (
            ["States", "Exactly one face?", "Choices", 0, "Variable"],
            "status",
            'State Machine.States.Exactly one face?.Choices[0].Variable is "status" but should be a JSONPath',
        ),
    ],
)
def test_a_bad_jsonpath_is_refused_at_start_naming_the_field(
    tmp_path: Path, path: list[str | int], value: str, expected: str
) -> None:
    problems = start_refused(tmp_path, set_in(path, value))
    assert [line.split(": ", 1)[1] for line in problems] == [expected]


def test_validate_definition_is_what_a_live_reload_calls() -> None:
    text = (REPO_ROOT / ENROLL).read_text()
    assert validate_definition(text, ENROLL) == []
    broken = text.replace('"Next": "Exactly one face?"', '"Next": "Exactly one face"', 1)
    assert broken != text
    problems = validate_definition(broken, ENROLL)
    assert problems and all(line.startswith(f"{ENROLL}: ") for line in problems)
    assert any("Indexed here.Next" in line for line in problems), problems


def test_a_placeholder_without_a_substitution_is_refused() -> None:
    text = (REPO_ROOT / ENROLL).read_text()
    problems = validate_definition(
        text,
        ENROLL,
        {
            "EnrollFunctionArn": "arn:aws:lambda:us-east-1:1:function:f",
            "BundledEnrollFunctionArn": "arn:aws:lambda:us-east-1:1:function:g",
            "DetectorBackend": "bundled",
            "DeadLetterQueueUrl": "https://sqs.us-east-1.amazonaws.com/1/dlq",
        },
    )
    assert problems == [
        f"{ENROLL}: no substitution for ${{PeopleTableName}}; add PeopleTableName to the state "
        "machine's DefinitionSubstitutions in template.yaml"
    ]


def test_a_substituted_value_is_checked_where_it_lands() -> None:
    """A table name substituted into Resource is no URI: AWS refuses it, and so does the check."""
    definition = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": "${PeopleTableName}", "End": True}},
    }
    problems = validate_definition(json.dumps(definition), "x.asl.json", {"PeopleTableName": "people"})
    assert problems == ['x.asl.json: State Machine.States.Call.Resource is "people" but should be A URI']


def test_an_integer_backoff_rate_is_accepted_as_aws_does_but_not_a_string() -> None:
    definition = enroll_definition()
    retrier = definition["States"]["Index the face"]["Retry"][0]
    retrier["BackoffRate"] = 2
    assert validate_definition(json.dumps(definition), ENROLL) == []
    retrier["BackoffRate"] = "2"
    assert validate_definition(json.dumps(definition), ENROLL) == [
        f'{ENROLL}: State Machine.States.Index the face.Retry[0].BackoffRate is "2" but should be a Float'
    ]


def test_text_that_is_no_definition_gets_one_line() -> None:
    assert validate_definition('{"StartAt": ', "x.asl.json")[0].startswith(
        "x.asl.json: not valid JSON at line 1"
    )
    assert validate_definition("[]", "x.asl.json") == [
        "x.asl.json: a workflow definition is a JSON object with StartAt and States"
    ]
