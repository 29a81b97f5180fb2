"""`framewatch executions`: the workflow runs that ended recently, failed ones first in mind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from framewatch.aws import stepfunctions
from framewatch.errors import UserError
from framewatch.ops.resources import StackResources


def state_machine(resources: StackResources, workflow: str) -> str:
    name = resources.analyze_frames if workflow == "analyze" else resources.enroll_face
    try:
        return stepfunctions.state_machine_arn(name)
    except LookupError:
        raise UserError(
            f"state machine {name} not found; is stack {resources.stack} deployed "
            "(or `framewatch up` running with AWS_ENDPOINT_URL pointing at it)?"
        ) from None


def describe(execution: stepfunctions.Execution) -> str:
    stopped = execution.stopped_at
    stamp = stopped.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if stopped else "-"
    line = f"{stamp}  {execution.status:<9} {execution.execution_arn}"
    if execution.error or execution.cause:
        cause = " ".join(execution.cause.split())
        line += f"\n    {execution.error}: {cause[:300]}"
    region = execution.execution_arn.split(":")[3] if execution.execution_arn.count(":") > 3 else ""
    console = execution.console_url(region)
    if console:
        line += f"\n    {console}"
    return line


def show(arn: str, since_minutes: float, limit: int, failed_only: bool, emit: Callable[[str], None]) -> int:
    since = datetime.now(UTC) - timedelta(minutes=since_minutes)
    try:
        found = stepfunctions.executions(arn, since, limit, failed_only)
    except LookupError as exc:
        raise UserError(str(exc)) from None
    for execution in found:
        emit(describe(execution))
    if not found:
        kind = "failed executions" if failed_only else "executions"
        emit(f"no {kind} in the last {since_minutes:g} minutes")
    return len(found)


def lines(arn: str, since_minutes: float, limit: int, failed_only: bool) -> list[str]:
    since = datetime.now(UTC) - timedelta(minutes=since_minutes)
    return [describe(e) for e in stepfunctions.executions(arn, since, limit, failed_only)]
