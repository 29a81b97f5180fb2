"""Checks workflow definitions (ASL) the way Step Functions does before it accepts them.

The emulator runs whatever it is given: a mistyped ``Next`` only shows as an execution that never ends.
AWS refuses such a definition at deploy time, so the embedded stack refuses it at start, and a live
reload of an edited file should call :func:`validate_definition` before it swaps the workflow.

The checks are statelint's (a Python port of awslabs/statelint, AWS's own linter): dangling ``Next``,
unreachable states, missing terminal states, bad paths, field types. The text is checked after the
template's ``DefinitionSubstitutions`` are applied, as AWS sees it; before anything is deployed their
values are stand-ins of the right shape (an ARN for ``GetAtt .Arn``, a name or ARN or URL for ``Ref``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from statelint.linter import Linter
from statelint.utils.re_helper import is_path

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_STAND_IN_ACCOUNT = "123456789012"
_STAND_IN_REGION = "us-east-1"

# What ``Ref`` returns for the types whose Ref is not a plain name (CloudFormation's documented values).
_REF_IS_ARN = {
    "AWS::SNS::Topic",
    "AWS::StepFunctions::StateMachine",
    "AWS::Serverless::StateMachine",
    "AWS::IAM::ManagedPolicy",
    "AWS::Lambda::LayerVersion",
    "AWS::Serverless::LayerVersion",
}
_REF_IS_URL = {"AWS::SQS::Queue"}


def validate_definition(text: str, source: str, substitutions: Mapping[str, str] | None = None) -> list[str]:
    """Problems with one workflow definition, one line each, starting with ``source``; [] if none.

    ``substitutions`` are the template's ``DefinitionSubstitutions`` (name → value); a ``${Name}``
    without one is a problem, as the deploy would leave it unreplaced. Without ``substitutions``
    every placeholder stands for an ARN, the usual case, so a lone file can be checked too.
    """
    if substitutions is None:
        substitutions = {name: _stand_in_arn("states", name) for name in _PLACEHOLDER.findall(text)}
    missing = sorted({name for name in _PLACEHOLDER.findall(text) if name not in substitutions})
    problems = [
        f"{source}: no substitution for ${{{name}}}; add {name} to the state machine's "
        "DefinitionSubstitutions in template.yaml"
        for name in missing
    ]
    # Plain text replacement, as CloudFormation does it.
    resolved = _PLACEHOLDER.sub(lambda m: str(substitutions.get(m.group(1), m.group(0))), text)
    try:
        definition = json.loads(resolved)
    except json.JSONDecodeError as exc:
        return [*problems, f"{source}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]
    if not isinstance(definition, dict):
        return [*problems, f"{source}: a workflow definition is a JSON object with StartAt and States"]
    problems += [f"{source}: {problem}" for problem in Linter.validate(_as_aws_reads_it(definition))]
    problems += [f"{source}: {problem}" for problem in _unchecked_paths(definition, "State Machine")]
    return problems


# statelint 3.x checks ResultPath, ItemsPath, the *Path fields and ".$" values, but takes InputPath,
# OutputPath and a Choice's Variable as any string; Step Functions refuses one that is not a path
# ("Payload" for "$.Payload" is the usual slip). Checked here with statelint's own path grammar.
_PATH_FIELDS = ("InputPath", "OutputPath")


def _unchecked_paths(container: dict[str, Any], where: str, jsonata: bool = False) -> list[str]:
    jsonata = container.get("QueryLanguage", "JSONata" if jsonata else "JSONPath") == "JSONata"
    states = container.get("States")
    if not isinstance(states, dict):
        return []
    problems: list[str] = []
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        at = f"{where}.States.{name}"
        in_jsonata = state.get("QueryLanguage", "JSONata" if jsonata else "JSONPath") == "JSONata"
        if not in_jsonata:
            for field in _PATH_FIELDS:
                value = state.get(field)
                if isinstance(value, str) and not is_path(value, True):
                    problems.append(f'{at}.{field} is "{value}" but should be a JSONPath')
            for index, rule in enumerate(state.get("Choices") or []):
                problems += _choice_variables(rule, f"{at}.Choices[{index}]")
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                problems += _unchecked_paths(branch, f"{at}.Branches[{index}]", in_jsonata)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                problems += _unchecked_paths(state[key], f"{at}.{key}", in_jsonata)
    return problems


def _choice_variables(rule: Any, at: str) -> list[str]:
    if not isinstance(rule, dict):
        return []
    value = rule.get("Variable")
    problems = []
    if isinstance(value, str) and not is_path(value, True):
        problems.append(f'{at}.Variable is "{value}" but should be a JSONPath')
    for key in ("And", "Or"):
        for index, inner in enumerate(rule.get(key) or []):
            problems += _choice_variables(inner, f"{at}.{key}[{index}]")
    if "Not" in rule:
        problems += _choice_variables(rule["Not"], f"{at}.Not")
    return problems


def _as_aws_reads_it(value: Any) -> Any:
    """statelint wants ``BackoffRate`` written as a float (2.0) and flags ``2``; Step Functions accepts
    any number there, so integers are turned into floats first. Nothing else is relaxed: a string or
    a rate of 1 or less is still reported."""
    if isinstance(value, list):
        return [_as_aws_reads_it(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: float(item)
        if key == "BackoffRate" and isinstance(item, int) and not isinstance(item, bool)
        else _as_aws_reads_it(item)
        for key, item in value.items()
    }


def validate_template_workflows(template: Path) -> list[str]:
    """Problems with every state machine a SAM template declares by ``DefinitionUri``, with its
    ``DefinitionSubstitutions`` applied; each line names its file as the user can open it."""
    from samtranslator.yaml_helper import yaml_parse

    sam = yaml_parse(template.read_text())
    resources: dict[str, Any] = sam.get("Resources", {}) or {}
    problems: list[str] = []
    for logical, resource in resources.items():
        props = resource.get("Properties", {}) or {}
        uri = props.get("DefinitionUri")
        if resource.get("Type") != "AWS::Serverless::StateMachine" or not isinstance(uri, str):
            continue
        path = template.parent / uri
        try:
            text = path.read_text()
        except OSError as exc:
            problems.append(f"{_shown(path)}: cannot read the definition of {logical}: {exc.strerror}")
            continue
        given = props.get("DefinitionSubstitutions", {}) or {}
        substitutions = {name: _stand_in(value, resources) for name, value in given.items()}
        problems += validate_definition(text, _shown(path), substitutions)
    return problems


def _shown(path: Path) -> str:
    """``statemachines/x.asl.json`` when under the working directory, else the absolute path."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def _stand_in(value: Any, resources: Mapping[str, Any]) -> str:
    """A value of the shape the deploy will put in place of ``value`` (a template intrinsic)."""
    if not isinstance(value, dict) or len(value) != 1:
        return str(value)
    ((function, argument),) = value.items()
    if function == "Fn::GetAtt":
        logical, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
        kind = resources.get(logical, {}).get("Type", "")
        return _stand_in_arn(_service(kind), logical) if attribute.endswith("Arn") else logical
    if function == "Ref":
        kind = resources.get(argument, {}).get("Type", "")
        if kind in _REF_IS_ARN:
            return _stand_in_arn(_service(kind), argument)
        if kind in _REF_IS_URL:
            return f"https://sqs.{_STAND_IN_REGION}.amazonaws.com/{_STAND_IN_ACCOUNT}/{argument}"
        return str(argument)  # a name, or a parameter's value
    return f"stand-in-{function}"  # Fn::Sub, Fn::Join...: text, whatever it says


_SERVERLESS_SERVICES = {"Function": "lambda", "LayerVersion": "lambda", "StateMachine": "states"}


def _service(kind: str) -> str:
    """``AWS::DynamoDB::Table`` → ``dynamodb``: the service part of a stand-in ARN."""
    parts = kind.split("::")
    if len(parts) != 3:
        return "states"
    if parts[1] == "Serverless":
        return _SERVERLESS_SERVICES.get(parts[2], "lambda")
    return {"StepFunctions": "states"}.get(parts[1], parts[1].lower())


def _stand_in_arn(service: str, name: str) -> str:
    return f"arn:aws:{service}:{_STAND_IN_REGION}:{_STAND_IN_ACCOUNT}:{name}"


def check_template_workflows(template: Path) -> None:
    """Raises a UserError with one line per problem (and a last line saying what to do) unless every
    workflow of ``template`` would be accepted by Step Functions."""
    from framewatch.errors import UserError

    try:
        problems = validate_template_workflows(template)
    except OSError as exc:
        raise UserError(f"cannot read {template}: {exc.strerror}") from exc
    if problems:
        count = "this problem" if len(problems) == 1 else f"these {len(problems)} problems"
        raise UserError(
            "\n".join(
                [
                    *problems,
                    f"AWS would refuse to deploy this workflow: fix {count} in the ASL and start again",
                ]
            )
        )
