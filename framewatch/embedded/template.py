"""template.yaml → plain CloudFormation, offline, with aws-sam-translator (what `sam deploy` runs)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from framewatch.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
LOCAL_ARTIFACTS = "framewatch-local"  # stands in for the S3 bucket `sam package` would upload to

# Managed policy names SAM may attach, mapped without calling IAM (we are offline).
_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess": "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
    "AWSLambdaRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
}


class _OfflinePolicies:
    def load(self) -> dict[str, str]:
        return dict(_MANAGED_POLICIES)


def load_sam(path: Path = TEMPLATE) -> dict[str, Any]:
    try:
        return yaml_parse(path.read_text())
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from exc


def translate(
    path: Path = TEMPLATE, region: str = "us-east-1", parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The CloudFormation template SAM would deploy. Local code and ASL paths are kept as
    ``s3://framewatch-local/<path>`` so the runtime knows which folder each function runs from."""
    sam = load_sam(path)
    root = path.parent
    for name, resource in sam.get("Resources", {}).items():
        props = resource.get("Properties", {})
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = f"s3://{LOCAL_ARTIFACTS}/{props['CodeUri']}"
        elif kind == "AWS::Serverless::LayerVersion" and isinstance(props.get("ContentUri"), str):
            props["ContentUri"] = f"s3://{LOCAL_ARTIFACTS}/{props['ContentUri']}"
        elif kind == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            asl = root / props.pop("DefinitionUri")
            try:
                props["Definition"] = json.loads(asl.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise UserError(f"state machine {name}: cannot load {asl}: {exc}") from exc
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator reads the region from boto3
    try:
        return transform(sam, dict(parameters or {}), _OfflinePolicies())
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


def local_path(uri: dict[str, Any] | str) -> Path:
    """Folder of a function's code from the translated ``Code`` property."""
    key = uri.get("S3Key", "") if isinstance(uri, dict) else uri.split(f"{LOCAL_ARTIFACTS}/", 1)[-1]
    return REPO_ROOT / key
