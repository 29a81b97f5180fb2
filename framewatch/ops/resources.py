"""Physical names of a stack's resources, derived from the stack name the way template.yaml names them.

One rule for all three ways to run: the template gives every resource an explicit name built from
``AWS::StackName`` (and, for the bucket, the account and region), so a command needs only the stack
name and the caller's account. No CloudFormation call is needed, which is what makes the same command
work on the embedded stack (it has no CloudFormation) and on LocalStack.
"""

from __future__ import annotations

from dataclasses import dataclass

from framewatch.errors import UserError


@dataclass(frozen=True)
class StackResources:
    stack: str
    account: str
    region: str

    @property
    def stream(self) -> str:
        return f"{self.stack}-frames"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.stack}-dead-letters"

    @property
    def analyze_frames(self) -> str:
        return f"{self.stack}-analyze-frames"

    @property
    def ingest_function(self) -> str:
        return f"{self.stack}-ingest"

    @property
    def enroll_face(self) -> str:
        return f"{self.stack}-enroll-face"

    @property
    def frames_table(self) -> str:
        return f"{self.stack}-frames"

    @property
    def alerts_table(self) -> str:
        return f"{self.stack}-alerts"

    @property
    def media_bucket(self) -> str:
        return f"{self.stack}-media-{self.account}-{self.region}"

    @property
    def ui_bucket(self) -> str:
        return f"{self.stack}-ui-{self.account}-{self.region}"


def resolve(stack: str) -> StackResources:
    """The caller's account (STS) and region (environment or profile) complete the names."""
    from framewatch.aws.cloudformation import account_id, session_region

    region = session_region()
    if not region:
        raise UserError("no AWS region set; pass --region or set AWS_REGION / AWS_DEFAULT_REGION")
    return StackResources(stack=stack, account=account_id(), region=region)
