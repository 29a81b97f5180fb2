"""The local Pipe waits for the emulator to say an execution ended instead of polling every 50 ms."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

from framewatch.embedded.execution_logs import ExecutionLogs


def _execution(arn: str) -> SimpleNamespace:
    machine = SimpleNamespace(loggingConfiguration=None)  # logs nothing: only the notice matters
    return SimpleNamespace(exec_arn=arn, state_machine=machine)


def test_a_waiter_wakes_when_its_execution_ends_and_not_for_another(tmp_path: Path) -> None:
    logs = ExecutionLogs(tmp_path)
    timer = threading.Timer(0.3, logs.ended, args=(_execution("arn:one"),))
    timer.start()
    started = time.monotonic()
    assert logs.wait_for_end("arn:one", timeout=10)
    assert time.monotonic() - started < 5
    assert not logs.wait_for_end("arn:two", timeout=0.2)


def test_an_execution_that_ended_before_the_wait_began_is_seen_at_once(tmp_path: Path) -> None:
    logs = ExecutionLogs(tmp_path)
    logs.ended(_execution("arn:fast"))
    started = time.monotonic()
    assert logs.wait_for_end("arn:fast", timeout=10)
    assert time.monotonic() - started < 1
