"""Step Functions for operations: find failed executions and run a workflow to its end."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from framewatch.aws import logs
from framewatch.aws.clients import client
from framewatch.core.console import express_execution_url

# Express state machines keep no history in Step Functions: ListExecutions answers this code and the
# history is in CloudWatch Logs, where the template's Logging configuration sends it.
NOT_LISTABLE = "StateMachineTypeNotSupported"
# Emulators without StartSyncExecution answer one of these (moto: a bare HTTP 500 page, so the code is
# the status); then start + poll instead.
_NO_SYNC = {"UnknownOperationException", "InvalidAction", "NotImplemented", "UnknownOperation", "404", "500"}


@dataclass(frozen=True)
class Execution:
    execution_arn: str
    status: str
    stopped_at: datetime | None
    error: str
    cause: str
    source: str  # "list_executions" or the log group it was read from
    started_at: datetime | None = None  # known for Express executions read from their log group

    def console_url(self, region: str) -> str | None:
        return express_execution_url(region, self.execution_arn, self.started_at)


@dataclass(frozen=True)
class Outcome:
    execution_arn: str
    status: str
    error: str = ""
    cause: str = ""
    output: Any = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def state_machine_arn(name: str) -> str:
    """ARN of the state machine called ``name`` (ListStateMachines, so no account id is guessed)."""
    for page in client("stepfunctions").get_paginator("list_state_machines").paginate():
        for machine in page.get("stateMachines", []):
            if machine["name"] == name:
                return str(machine["stateMachineArn"])
    raise LookupError(name)


def describe(arn: str) -> dict[str, Any]:
    return dict(client("stepfunctions").describe_state_machine(stateMachineArn=arn))


FINAL_TYPES = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")


def executions(arn: str, since: datetime, limit: int, failed_only: bool) -> list[Execution]:
    """Executions that ended since ``since``, newest first: ListExecutions where Step Functions keeps
    them (Standard workflows, emulators), otherwise the workflow's CloudWatch Logs group (Express)."""
    sfn = client("stepfunctions")
    group = log_group_of(describe(arn))
    if group is not None:  # where the history really is: the emulator forgets ended executions too
        return executions_in_log_group(group, since, limit, failed_only)
    found: list[Execution] = []
    request: dict[str, Any] = {"stateMachineArn": arn}
    if failed_only:
        request["statusFilter"] = "FAILED"
    try:
        for page in sfn.get_paginator("list_executions").paginate(**request):
            for item in page.get("executions", []):
                stopped = item.get("stopDate")
                if item["status"] != "RUNNING" and (stopped is None or stopped < since):
                    continue
                found.append(_described(item["executionArn"], str(item["status"]), stopped))
                if len(found) >= limit:
                    return found
    except ClientError as exc:
        if _code(exc) != NOT_LISTABLE:
            raise
        raise LookupError(
            f"{arn} is an Express workflow without a log group; its executions are not kept anywhere"
        ) from exc
    return found


def _described(execution_arn: str, status: str, stopped: datetime | None) -> Execution:
    detail: dict[str, Any] = {}
    if status != "SUCCEEDED":
        try:
            detail = client("stepfunctions").describe_execution(executionArn=execution_arn)
        except ClientError:
            detail = {}
    return Execution(
        execution_arn,
        status,
        stopped,
        str(detail.get("error", "")),
        str(detail.get("cause", "")),
        "list_executions",
    )


def log_group_of(machine: dict[str, Any]) -> str | None:
    for destination in machine.get("loggingConfiguration", {}).get("destinations", []):
        arn = destination.get("cloudWatchLogsLogGroup", {}).get("logGroupArn", "")
        if ":log-group:" in arn:
            return arn.split(":log-group:", 1)[1].removesuffix(":*")
    return None


_STATUS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


def history_in_log_group(
    group: str, execution_arn: str, since: datetime | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """One Express execution read back from its workflow's log group (Logging level ALL), shaped as
    DescribeExecution and GetExecutionHistory answer for Standard workflows, which Express ones do
    not support. ``since`` (say, the frame's capture time) bounds how far back the group is read.
    None when the log group holds no line of it (past retention, not ended yet, or never logged)."""
    pattern = f'{{ $.execution_arn = "{execution_arn}" }}'
    start_ms = int(since.timestamp() * 1000) if since else None
    entries = [
        entry
        for entry in logs.entries(group, pattern, f'"{execution_arn}"', start_ms)
        if entry.get("execution_arn") == execution_arn
    ]
    if not entries:
        return None
    entries.sort(key=lambda e: (e["_ms"], int(e.get("id") or 0)))
    events = []
    for entry in entries:
        kind = str(entry.get("type", ""))
        events.append(
            {
                "id": int(entry.get("id") or 0),
                "previousEventId": int(entry.get("previous_event_id") or 0),
                "type": kind,
                "timestamp": datetime.fromtimestamp(entry["_ms"] / 1000, UTC),
                _details_key(kind): entry.get("details") or {},
            }
        )
    started = next((e for e in entries if e.get("type") == "ExecutionStarted"), entries[0])
    final = next((e for e in reversed(entries) if e.get("type") in _STATUS), None)
    final_details = (final or {}).get("details") or {}
    # arn:aws:states:<region>:<account>:express:<state machine>:<execution name>:<id>
    # (the emulator's: ...:execution:<state machine>:<execution name>)
    parts = execution_arn.split(":")
    desc: dict[str, Any] = {
        "executionArn": execution_arn,
        "stateMachineArn": ":".join([*parts[:5], "stateMachine", parts[6]]) if len(parts) > 6 else None,
        "name": parts[7] if len(parts) > 7 else None,
        "status": _STATUS[final["type"]] if final else "RUNNING",
        "startDate": datetime.fromtimestamp(started["_ms"] / 1000, UTC),
        "stopDate": datetime.fromtimestamp(final["_ms"] / 1000, UTC) if final else None,
        "input": (started.get("details") or {}).get("input"),
        "output": final_details.get("output"),
        "error": final_details.get("error"),
        "cause": final_details.get("cause"),
    }
    return desc, events


def _details_key(kind: str) -> str:
    """GetExecutionHistory's key for an event type's details (every *StateEntered shares one)."""
    for suffix in ("StateEntered", "StateExited"):
        if kind.endswith(suffix) and kind != suffix:
            kind = suffix
    return f"{kind[:1].lower()}{kind[1:]}EventDetails"


def executions_in_log_group(group: str, since: datetime, limit: int, failed_only: bool) -> list[Execution]:
    """The final events of an Express workflow's executions from its log group (one JSON object
    per history event, ``type`` ``ExecutionFailed`` and so on)."""
    wanted = ("ExecutionFailed",) if failed_only else FINAL_TYPES
    # Starts too: the console link of an Express execution needs its start date.
    pattern = '?"ExecutionFailed" ?"ExecutionStarted"' if failed_only else ""
    contains = '"Execution'
    found: list[Execution] = []
    started: dict[str, datetime] = {}
    for entry in logs.entries(group, pattern, contains, int(since.timestamp() * 1000)):
        when = datetime.fromtimestamp(entry["_ms"] / 1000, UTC) if entry["_ms"] else None
        if entry.get("type") == "ExecutionStarted" and when:
            started[str(entry.get("execution_arn", ""))] = when
        if entry.get("type") not in wanted:
            continue
        details = entry.get("details") or {}
        found.append(
            Execution(
                str(entry.get("execution_arn", "")),
                _STATUS[entry["type"]],
                when,
                str(details.get("error", "")),
                str(details.get("cause", "")),
                group,
            )
        )
    found = [replace(f, started_at=started.get(f.execution_arn)) for f in found]
    found.sort(key=lambda f: f.stopped_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return found[:limit]


def _sync_client() -> Any:
    """StartSyncExecution lives on the ``sync-`` host on AWS; an endpoint override (LocalStack) serves
    it on its one host, where that prefix would not resolve."""
    overridden = bool(os.environ.get("AWS_ENDPOINT_URL_SFN") or os.environ.get("AWS_ENDPOINT_URL"))
    # One attempt: a retried StartSyncExecution would run the workflow twice.
    config = Config(retries={"total_max_attempts": 1}, read_timeout=330, inject_host_prefix=not overridden)
    return boto3.session.Session().client("stepfunctions", config=config)


def run_to_completion(arn: str, payload: Any, name: str, timeout: float = 330) -> Outcome:
    """Run an Express workflow and wait for its result (StartSyncExecution, or start + poll)."""
    document = json.dumps(payload)
    try:
        result = _sync_client().start_sync_execution(stateMachineArn=arn, name=name, input=document)
        return Outcome(
            str(result["executionArn"]),
            str(result["status"]),
            str(result.get("error", "")),
            str(result.get("cause", "")),
            _json(result.get("output")),
        )
    except ClientError as exc:
        if _code(exc) not in _NO_SYNC:
            raise
    sfn = client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=document)["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        status = sfn.describe_execution(executionArn=execution)
        if status["status"] != "RUNNING" or time.monotonic() > deadline:
            return Outcome(
                str(execution),
                str(status["status"]),
                str(status.get("error", "")),
                str(status.get("cause", "")),
                _json(status.get("output")),
            )
        time.sleep(0.1)


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text
