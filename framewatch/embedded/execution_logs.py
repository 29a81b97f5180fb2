"""Ended executions go where AWS sends them, and the emulator forgets them: bounded memory.

On AWS an Express execution's history exists only in the workflow's CloudWatch Logs log group; the
Step Functions API keeps nothing. moto keeps every execution (its whole event history, every
state's input and output) in its state machine's ``executions`` list for as long as the process
lives, which grew ``framewatch up`` by about 0.35 MB per frame. Here, when an execution of a state
machine whose ``loggingConfiguration`` names a log group ends, its history is appended to that
group's local file as the vended log lines (``framewatch.aws.logs`` reads them back), and a
minute later (the Pipe is still asking DescribeExecution for the result meanwhile) the emulator
drops it. Standard workflows without logging keep their history in the emulator, as on AWS.

The one patch is on moto's ``BaseExecutionWorkerCommunication.terminated`` (moto 5.2.5), which every
execution calls once when it ends; it lives with the other moto hooks (``moto_hooks``), whose start-up
check of moto's version and signatures covers it.
At the same moment the interpreter's list of every thread it ever started is cut to the live ones.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict, deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from framewatch.aws import logs

LOG = logging.getLogger(__name__)

# How long an ended execution stays readable through the Step Functions API. A minute by default:
# tests and the demo read histories through the API after a run. The Pipe needs far less: its
# DescribeExecution follows the end within milliseconds (a starved machine may stall it for seconds)
# and so does its history read on failure.
RETAIN_SECONDS = 60.0
# `framewatch up` keeps them 10 s: each execution held is ~250 KB of small objects and JSON strings
# (~60 held at 5 fps for a minute), and a population that outlives the frames around it leaves the
# heap fragmented behind it. People read histories from the log group, which keeps them for days.
LONG_RUNNING_RETAIN_SECONDS = 10.0
# Ended executions remembered for whoever waits on one: far more than can be in flight at once.
JUST_ENDED_KEPT = 1000


def vended_lines(execution_arn: str, events: list[dict[str, Any]], include_data: bool) -> list[str]:
    """GetExecutionHistory events as Step Functions writes them to CloudWatch Logs."""
    lines = []
    for event in events:
        kind = _plain(event.get("type", ""))
        details = dict(next((v for k, v in event.items() if k.endswith("EventDetails")), None) or {})
        if not include_data:  # IncludeExecutionData: false logs no input or output
            for key in ("input", "output", "inputDetails", "outputDetails"):
                details.pop(key, None)
        stamp = event.get("timestamp")
        millis = int(stamp.timestamp() * 1000) if isinstance(stamp, datetime) else int(time.time() * 1000)
        line = {
            "id": str(event.get("id", "")),
            "type": kind,
            "details": details,
            "previous_event_id": str(event.get("previousEventId", 0)),
            "event_timestamp": str(millis),
            "execution_arn": execution_arn,
            "redrive_count": "0",
        }
        lines.append(json.dumps(line, default=_plain))
    return lines


def _plain(value: Any) -> str:
    """The emulator's enums (event types, statuses) as their names, anything else as text."""
    return str(getattr(value, "value", value))


def log_group(logging_configuration: dict[str, Any] | None) -> tuple[str, bool] | None:
    """(log group name, include execution data) of a state machine that logs, else None."""
    config = logging_configuration or {}
    if str(config.get("level", "OFF")).upper() == "OFF":
        return None
    for destination in config.get("destinations") or []:
        arn = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
        if ":log-group:" in arn:
            return arn.split(":log-group:", 1)[1].removesuffix(":*"), bool(config.get("includeExecutionData"))
    return None


class ExecutionLogs:
    """Writes ended executions to their log group's files under ``root`` and forgets them."""

    def __init__(self, root: Path, retain_seconds: float = RETAIN_SECONDS) -> None:
        self.root = root
        self.retain_seconds = retain_seconds
        self.written = 0
        self.forgotten = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._ended: deque[tuple[float, Any]] = deque()
        # The latest ended executions' ARNs, for those waiting on one (the Pipe waiting for a result).
        self._just_ended: OrderedDict[str, None] = OrderedDict()
        self._end = threading.Condition()

    def wait_for_end(self, execution_arn: str, timeout: float) -> bool:
        """True once the execution has ended (or within ``timeout`` s it did)."""
        with self._end:
            return self._end.wait_for(lambda: execution_arn in self._just_ended, timeout)

    def ended(self, execution: Any) -> None:
        """Called once per execution as it ends (from the emulator's worker thread)."""
        with self._end:
            self._just_ended[execution.exec_arn] = None
            while len(self._just_ended) > JUST_ENDED_KEPT:
                self._just_ended.popitem(last=False)
            self._end.notify_all()
        machine = execution.state_machine
        target = log_group(getattr(machine, "loggingConfiguration", None))
        if target is None:
            return
        group, include_data = target
        try:
            history = execution.to_history_output().get("events", [])
            lines = vended_lines(execution.exec_arn, list(history), include_data)
            path = logs.day_file(self.root, group, datetime.now(UTC))
            with self._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as out:
                    out.write("".join(line + "\n" for line in lines))
                self.written += 1
                self._ended.append((time.monotonic(), execution))
        except Exception as exc:  # never fail the execution for its log; keep it in the emulator then
            self.last_error = f"{type(exc).__name__}: {exc}"
            LOG.warning("could not log execution %s: %s", execution.exec_arn, exc)
            return
        self.forget()
        _drop_finished_threads()

    def forget(self, older_than: float | None = None) -> int:
        """Drop from the emulator the logged executions that ended more than ``older_than`` s ago."""
        limit = time.monotonic() - (self.retain_seconds if older_than is None else older_than)
        dropped = 0
        with self._lock:
            while self._ended and self._ended[0][0] <= limit:
                _, execution = self._ended.popleft()
                machine = execution.state_machine
                for original in getattr(machine.backend, "state_machines", []):
                    if original.arn == machine.arn and execution in original.executions:
                        original.executions.remove(execution)
                        dropped += 1
                        break
            self.forgotten += dropped
        return dropped


def _drop_finished_threads() -> None:
    """moto's interpreter appends every thread it starts (several per state) to a module list that
    only its own test teardown reads, so finished threads pile up; keep only those still running."""
    try:
        from moto.stepfunctions.parser.utils import TMP_THREADS
    except ImportError:
        return
    TMP_THREADS[:] = [thread for thread in list(TMP_THREADS) if thread.is_alive()]


def install(sink: ExecutionLogs | None) -> bool:
    """Route ended executions to ``sink`` (None: stop), through the checked hook in ``moto_hooks``
    (a moto without it stops the stack with one line naming the symbol)."""
    from framewatch.embedded import moto_hooks

    moto_hooks.install_execution_end(sink.ended if sink is not None else None)
    return True
