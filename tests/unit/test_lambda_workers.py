"""The embedded Lambda runtime's workers, without the emulator: each function runs in its own
processes with only its environment; errors, crashes and timeouts come back under Lambda's error
names and the worker is replaced; concurrency grows to the function's limit; stop leaves nothing."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framewatch.embedded.lambda_runtime import LocalLambdaRuntime
from framewatch.errors import UserError

HANDLERS = """
import json, os, sys, threading, time

BUSY = 0
LOCK = threading.Lock()
LOADED_AT = time.time()


def where(event, context):
    print("hello from", os.getpid())
    print("to stderr", file=sys.stderr)
    return {"pid": os.getpid(), "env": dict(os.environ), "loaded_at": LOADED_AT,
            "remaining_ms": context.get_remaining_time_in_millis(), "name": context.function_name}


def fails(event, context):
    raise ValueError("no " + str(event.get("what")))


def crashes(event, context):
    sys.stdout.flush()
    os._exit(3)


def sleeps(event, context):
    time.sleep(float(event["seconds"]))
    return {"pid": os.getpid()}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\tZ" in status.read_text().split("State:", 1)[1][:4])


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[LocalLambdaRuntime]:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLERS)
    running = LocalLambdaRuntime(log_dir=tmp_path / "logs", environment={"STACK_WIDE": "endpoint"})

    def register(name: str, handler: str, timeout: int = 10, **extra: Any) -> None:
        props = {
            "Code": {"S3Bucket": "framewatch-local", "S3Key": str(code)},
            "Handler": f"app.{handler}",
            "Timeout": timeout,
            "MemorySize": 256,
            **extra,
        }
        running.register(name, props)

    running.add = register  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        running.stop()


def _invoke(runtime: LocalLambdaRuntime, name: str, event: Any = None) -> tuple[Any, bool]:
    payload, errored = runtime.invoke(
        name, f"arn:aws:lambda:us-east-1:123456789012:function:{name}", event or {}
    )
    return json.loads(payload), errored


def test_a_handler_runs_in_its_own_process_with_only_its_functions_environment(
    runtime: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONLY_IN_THE_STACK_PROCESS", "secret")
    runtime.add("one", "where", Environment={"Variables": {"TABLE": "one-table"}})
    runtime.add("two", "where", Environment={"Variables": {"QUEUE": "two-queue"}})

    one, errored = _invoke(runtime, "one")
    two, _ = _invoke(runtime, "two")

    assert not errored
    assert one["pid"] != os.getpid() and two["pid"] != os.getpid() and one["pid"] != two["pid"]
    assert one["env"]["TABLE"] == "one-table" and "QUEUE" not in one["env"]
    assert two["env"]["QUEUE"] == "two-queue" and "TABLE" not in two["env"]
    assert one["env"]["STACK_WIDE"] == "endpoint"
    assert one["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "one" and one["name"] == "one"
    assert "ONLY_IN_THE_STACK_PROCESS" not in one["env"]
    assert 0 < one["remaining_ms"] <= 10_000
    # The same warm worker answers again: the handler was imported once.
    again, _ = _invoke(runtime, "one")
    assert (again["pid"], again["loaded_at"]) == (one["pid"], one["loaded_at"])
    calls = [call for call in runtime.invocations if call.function == "one"]
    assert [call.cold for call in calls] == [True, False]
    assert {call.worker_pid for call in calls} == {one["pid"]}
    # What the handler prints, on stdout and stderr, is in its function's log file.
    log = (tmp_path / "logs" / "one.log").read_text()
    assert f"hello from {one['pid']}" in log and "to stderr" in log


def test_a_raising_handler_reports_lambdas_error_object_and_keeps_its_worker(runtime: Any) -> None:
    runtime.add("fails", "fails")
    error, errored = _invoke(runtime, "fails", {"what": "luck"})
    assert errored
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "no luck"
    assert any("ValueError" in line for line in error["stackTrace"])
    pids = runtime.worker_pids("fails")
    _invoke(runtime, "fails", {"what": "luck"})
    assert runtime.worker_pids("fails") == pids and len(pids) == 1
    assert [call.error for call in runtime.invocations] == ["ValueError", "ValueError"]


def test_a_crash_is_a_runtime_exit_error_and_the_worker_is_replaced(runtime: Any) -> None:
    runtime.add("crashes", "crashes")
    runtime.add("where", "where")
    error, errored = _invoke(runtime, "crashes")
    assert errored and error["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in error["errorMessage"]
    assert runtime.worker_pids("crashes") == set()
    again, _ = _invoke(runtime, "crashes")
    assert again["errorType"] == "Runtime.ExitError"  # a new worker took it (and crashed too)


def test_a_worker_killed_while_idle_is_replaced(runtime: Any) -> None:
    runtime.add("where", "where")
    first, _ = _invoke(runtime, "where")
    os.kill(first["pid"], 9)
    time.sleep(0.2)
    second, errored = _invoke(runtime, "where")
    assert not errored and second["pid"] != first["pid"]


def test_a_timeout_kills_the_worker_and_reports_sandbox_timedout(runtime: Any) -> None:
    runtime.add("sleeps", "sleeps", timeout=1)
    started = time.monotonic()
    error, errored = _invoke(runtime, "sleeps", {"seconds": 30})
    assert time.monotonic() - started < 10
    assert errored and error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    killed = runtime.invocations[-1].worker_pid
    assert not _alive(killed)
    answer, errored = _invoke(runtime, "sleeps", {"seconds": 0})
    assert not errored and answer["pid"] != killed


def test_concurrency_grows_with_load_up_to_the_reserved_limit(runtime: Any) -> None:
    runtime.add("sleeps", "sleeps", ReservedConcurrentExecutions=3)
    runtime.warm()
    answers: list[dict[str, Any]] = []

    def call() -> None:
        answers.append(_invoke(runtime, "sleeps", {"seconds": 1.5})[0])

    threads = [threading.Thread(target=call) for _ in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 7 and all("pid" in answer for answer in answers)
    assert len({answer["pid"] for answer in answers}) == 3  # grew from one to the limit, no further
    assert len(runtime.worker_pids("sleeps")) == 3  # idle workers are kept


def test_a_handler_that_cannot_load_stops_the_start_naming_the_function(runtime: Any) -> None:
    runtime.add("missing", "not_there")
    with pytest.raises(UserError, match=r"function missing cannot start: Runtime.HandlerNotFound"):
        runtime.warm()
    error, errored = _invoke(runtime, "missing")
    assert errored and error["errorType"] == "Runtime.HandlerNotFound"


def test_the_fault_hook_runs_before_dispatch_and_its_exception_is_the_error(runtime: Any) -> None:
    runtime.add("where", "where")
    seen: list[tuple[str, Any]] = []

    def fault(name: str, event: Any) -> None:
        seen.append((name, event))
        raise ConnectionError("injected")

    runtime.fault = fault
    error, errored = _invoke(runtime, "where", {"n": 1})
    assert errored and error["errorType"] == "ConnectionError" and seen == [("where", {"n": 1})]
    assert runtime.worker_pids("where") == set()  # nothing reached a worker


def test_recycle_starts_new_workers_and_stop_leaves_none(runtime: Any) -> None:
    runtime.add("where", "where")
    runtime.add("sleeps", "sleeps")
    runtime.warm()
    first, _ = _invoke(runtime, "where")
    assert runtime.recycle("where") == 1
    assert not _alive(first["pid"])
    second, _ = _invoke(runtime, "where")
    assert second["pid"] != first["pid"]
    busy = threading.Thread(target=_invoke, args=(runtime, "sleeps", {"seconds": 60}))
    busy.start()
    time.sleep(0.5)
    pids = runtime.worker_pids()
    assert len(pids) == 2
    started = time.monotonic()
    runtime.stop()
    busy.join(10)
    assert time.monotonic() - started < 10
    assert not [pid for pid in pids if _alive(pid)]


def test_an_interrupt_from_the_terminal_does_not_end_a_worker(runtime: Any) -> None:
    runtime.add("where", "where")
    first, _ = _invoke(runtime, "where")
    os.kill(first["pid"], signal.SIGINT)  # what Ctrl+C sends to `up`'s whole process group
    time.sleep(0.3)
    second, errored = _invoke(runtime, "where")
    assert not errored and second["pid"] == first["pid"]
