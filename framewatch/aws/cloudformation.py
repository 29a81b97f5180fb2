"""CloudFormation stack outputs, the caller's account, and whether credentials exist at all."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

from framewatch.aws.clients import client


def has_credentials() -> bool:
    """Whether boto3 finds credentials (environment, profile, SSO, container or instance role).
    Nothing is sent to AWS; the instance-metadata lookup is skipped where AWS_EC2_METADATA_DISABLED."""
    return boto3.session.Session().get_credentials() is not None


def session_region() -> str | None:
    return boto3.session.Session().region_name


def account_id() -> str:
    return str(client("sts").get_caller_identity()["Account"])


def stack_outputs(stack: str) -> dict[str, str] | None:
    """Output key → value of a deployed stack; None when there is no such stack."""
    try:
        stacks = client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
