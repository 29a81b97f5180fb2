"""`make test-deployed` runs this first: without a stack to test (FRAMEWATCH_STACK), credentials or
the stack itself, say in one line what is needed and exit non-zero, before pytest prints anything."""

from __future__ import annotations

import os
import sys


def problem() -> str | None:
    stack = os.environ.get("FRAMEWATCH_STACK", "").strip()
    if not stack:
        return (
            "test-deployed needs a deployed stack: set FRAMEWATCH_STACK=<stack name> (from `make deploy`) "
            "and AWS credentials for its account and region"
        )
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    except ImportError:  # pragma: no cover - the venv always has boto3
        return "test-deployed needs the project venv: run `make install`"
    session = boto3.session.Session()
    if session.get_credentials() is None:
        return (
            f"test-deployed needs AWS credentials for stack {stack}: run `aws configure` or set AWS_PROFILE"
        )
    if not session.region_name:
        return f"test-deployed needs the region of stack {stack}: set AWS_REGION"
    try:
        session.client("cloudformation").describe_stacks(StackName=stack)
    except NoCredentialsError:
        return (
            f"test-deployed needs AWS credentials for stack {stack}: run `aws configure` or set AWS_PROFILE"
        )
    except ClientError as exc:
        why = exc.response["Error"].get("Message")
        return f"test-deployed needs stack {stack} in {session.region_name}: {why}"
    except BotoCoreError as exc:
        return f"test-deployed cannot reach CloudFormation for stack {stack}: {exc}"
    return None


if __name__ == "__main__":
    found = problem()
    if found:
        print(f"framewatch: error: {found}", file=sys.stderr)
        sys.exit(2)
