"""Runs the real Lambda handlers, each function in its own long-lived worker processes.

Every invoke path of moto's Lambda ends in ``LambdaFunction._invoke_lambda(event)``, which would
start a Docker container; :mod:`framewatch.embedded.moto_hooks` routes it here (and the Step
Functions ``lambda:invoke`` integration too). Each function gets workers the way Lambda reuses
execution environments: a worker (:mod:`framewatch.embedded.lambda_worker`) starts with only that
function's environment (the template's variables as deployed, the emulator's endpoint and
credentials, what the Lambda service itself sets), imports ``functions/<name>/app.py`` once (the cold
start) and then runs one invocation at a time. Under load a function gets more workers, up to its
``ReservedConcurrentExecutions`` or :data:`DEFAULT_CONCURRENCY`; beyond that an invocation waits for
a free worker (a local stack queues rather than throttles). Idle workers are kept until the stack
stops. What a worker prints goes to ``<logs>/<function>.log``, as Lambda sends it to CloudWatch Logs.

The error contract is Lambda's: a handler that raises returns ``{"errorType", "errorMessage",
"stackTrace"}`` with the error flag set, so Step Functions sees the same error names it would see on
AWS (and Retry/Catch match them the same way). An invocation that outlives the function's Timeout
gets ``Sandbox.Timedout`` ("Task timed out after N seconds") and its worker is killed; a worker that
dies mid-invocation gets ``Runtime.ExitError``. Either way the next invocation starts a new worker.

Why ``subprocess`` with JSON lines over pipes rather than ``multiprocessing``: a worker must be a
fresh interpreter holding exactly its function's environment (``spawn`` and ``forkserver`` copy the
parent's ``os.environ`` and re-import the parent's ``__main__`` — pytest or the CLI — in every child;
``fork`` would copy the emulator's threads and locks); its stdout and stderr must be the log file
itself, so that everything the handler and its libraries print lands there without swapping
``sys.stdout``; and events and results are JSON already, so nothing needs pickling.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from framewatch.embedded.lambda_worker import REPLY_FD_ENV, LambdaContext, error_object
from framewatch.embedded.template import local_path
from framewatch.errors import UserError

__all__ = ["DEFAULT_CONCURRENCY", "Invocation", "LambdaContext", "LocalLambdaRuntime"]

# Workers per function when the template sets no ReservedConcurrentExecutions.
DEFAULT_CONCURRENCY = 4
# Seconds a worker may take to import its handler (Lambda allows 10; a loaded laptop needs more).
INIT_SECONDS = 60.0
# Seconds a stopping worker gets to end on its own before it is killed.
STOP_SECONDS = 3.0
# What a worker keeps of this process's environment: only what lets a Python process run here.
_SYSTEM_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")


@dataclass
class Invocation:
    function: str
    started: float
    seconds: float
    error: str | None
    worker_pid: int = 0
    cold: bool = False  # this invocation started its worker


@dataclass
class FunctionSpec:
    name: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    concurrency: int
    environment: dict[str, str] = field(default_factory=dict)


class WorkerGone(Exception):
    """The worker ended before it answered; ``took_event`` says whether it had the event."""

    def __init__(self, reason: str, took_event: bool = False) -> None:
        super().__init__(reason)
        self.took_event = took_event


class Worker:
    """One process running one function; one invocation at a time (the pool hands it out)."""

    def __init__(self, spec: FunctionSpec, environment: dict[str, str], log_path: Path) -> None:
        self.spec = spec
        reply_read, reply_write = os.pipe()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "framewatch.embedded.lambda_worker",
                        str(spec.code_dir),
                        spec.handler,
                        spec.name,
                    ],
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**environment, REPLY_FD_ENV: str(reply_write)},
                    pass_fds=(reply_write,),
                    cwd=spec.code_dir,
                )
        except BaseException:
            os.close(reply_read)
            raise
        finally:
            os.close(reply_write)
        self.pid = self.process.pid
        self._replies = reply_read
        self._buffer = bytearray()
        self.generation = 0
        self.invocations = 0

    def started(self, deadline: float) -> str | None:
        """None once the handler is imported, else the init error's JSON (the worker then ends)."""
        line = self._read_line(deadline)
        if line is None:
            self.kill()
            return json.dumps(
                {
                    "errorType": "Runtime.InitTimeout",
                    "errorMessage": f"the handler did not load within {INIT_SECONDS:.0f} s",
                }
            )
        if line.startswith("S"):
            return None
        self.kill()
        return line[1:] if line.startswith("E") else _exit_error(self, "")

    def call(self, request: dict[str, Any], deadline: float) -> tuple[str, bool] | None:
        """(payload, errored), or None when the deadline passed first."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request, default=str).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerGone(str(exc)) from exc
        self.invocations += 1
        line = self._read_line(deadline)
        if line is None:
            return None
        if not line:
            raise WorkerGone("ended", took_event=True)
        return line[1:], line.startswith("E")

    def _read_line(self, deadline: float) -> str | None:
        """The next line the worker sends; "" if it ended first, None if the deadline passed first."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._replies], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                return ""
            self._buffer += chunk
        end = self._buffer.index(b"\n")
        line = bytes(self._buffer[:end]).decode()
        del self._buffer[: end + 1]
        return line

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Ask the worker to end (it reads end-of-file between invocations)."""
        stdin: IO[bytes] | None = self.process.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):
                stdin.close()

    def wait(self, seconds: float, release: bool = True) -> None:
        """Wait for the worker to end, killing it after ``seconds``; ``release`` False leaves the
        reply pipe to the thread still reading it (an invocation under way)."""
        try:
            self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if release:
            self._release()

    def kill(self) -> None:
        self.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._release()

    def _release(self) -> None:
        if self._replies >= 0:
            os.close(self._replies)
            self._replies = -1


def _exit_error(worker: Worker, request_id: str) -> str:
    code = worker.process.wait()
    how = f"signal: {-code}" if code < 0 else f"exit status {code}"
    return json.dumps(
        {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {how}",
        }
    )


class WorkerPool:
    """The workers of one function: grows on demand up to the function's concurrency."""

    def __init__(self, spec: FunctionSpec, start: Callable[[FunctionSpec], Worker]) -> None:
        self.spec, self._start = spec, start
        self.idle: list[Worker] = []
        self.busy: set[Worker] = set()
        self.starting = 0
        self.waiting = 0
        self.generation = 0
        self.closed = False
        self._ready = threading.Condition()

    @property
    def size(self) -> int:
        return len(self.idle) + len(self.busy) + self.starting

    def acquire(self) -> tuple[Worker | None, str | None]:
        """A worker for one invocation: (worker, None), or (None, init error JSON) when a new worker
        could not load the handler. Starts a worker when none is free and the limit allows."""
        with self._ready:
            self.waiting += 1
            try:
                while True:
                    if self.closed:
                        raise WorkerGone("the stack is stopping")
                    while self.idle:
                        worker = self.idle.pop()  # the most recently used: its caches are warm
                        if worker.alive:
                            self.busy.add(worker)
                            return worker, None
                        worker.kill()  # died while idle: replaced below
                    if self.size < self.spec.concurrency and self.waiting > self.starting:
                        self.starting += 1
                        break
                    self._ready.wait()
            finally:
                self.waiting -= 1
        fresh: Worker | None = None
        problem: str | None = None
        try:
            fresh = self._start(self.spec)
            problem = fresh.started(time.monotonic() + INIT_SECONDS)
        except OSError as exc:
            problem = json.dumps(error_object("Runtime.StartError", exc))
        finally:
            with self._ready:
                self.starting -= 1
                self._ready.notify_all()
                usable = fresh is not None and problem is None and not self.closed
                if usable and fresh is not None:
                    fresh.generation = self.generation
                    self.busy.add(fresh)
        if fresh is not None and problem is None and not usable:
            fresh.kill()
            raise WorkerGone("the stack is stopping")
        return (fresh, None) if usable else (None, problem)

    def release(self, worker: Worker, healthy: bool) -> None:
        """Back to the idle workers, or ended: unhealthy (timed out, died), retired or stopping."""
        with self._ready:
            self.busy.discard(worker)
            keep = healthy and not self.closed and worker.generation == self.generation and worker.alive
            if keep:
                self.idle.append(worker)
            self._ready.notify_all()
        if not keep:
            if healthy:
                worker.close()
                worker.wait(STOP_SECONDS)
            else:
                worker.kill()

    def recycle(self) -> int:
        """Workers end and new ones start on the next invocations (new code or environment); busy
        workers end when their invocation does. Returns how many were running."""
        with self._ready:
            self.generation += 1
            count = len(self.idle) + len(self.busy)
            for worker in self.idle:
                worker.close()
            retired, self.idle = self.idle, []
        for worker in retired:
            worker.wait(STOP_SECONDS)
        return count

    def close(self) -> tuple[list[Worker], list[Worker]]:
        """No more invocations: every worker is asked to end. Returns (idle, busy) workers."""
        with self._ready:
            self.closed = True
            idle, busy = self.idle, list(self.busy)
            self.idle = []
            self._ready.notify_all()
        for worker in [*idle, *busy]:
            worker.close()
        return idle, busy


class LocalLambdaRuntime:
    """Function name → its workers, with per-function call statistics for the bench and the demo."""

    def __init__(self, log_dir: Path | None = None, environment: dict[str, str] | None = None) -> None:
        self.log_dir = log_dir or Path("logs")
        # What every worker gets besides its function's variables (endpoints, credentials, region).
        self.environment: dict[str, str] = dict(environment or {})
        self._pools: dict[str, WorkerPool] = {}
        self._lock = threading.Lock()
        # The latest calls (bench reads their timings); bounded, as `up` runs for weeks.
        self.invocations: deque[Invocation] = deque(maxlen=2_000)  # the latest, for reports
        # Tests inject failures here: called in this process before the event reaches a worker; what
        # it raises is the invocation's error.
        self.fault: Callable[[str, Any], None] | None = None

    # ------------------------------------------------------------------ functions
    def register(self, function_name: str, props: dict[str, Any]) -> None:
        code_dir = local_path(props["Code"])
        module_name = props["Handler"].rpartition(".")[0]
        path = code_dir / f"{module_name.replace('.', '/')}.py"
        if not path.exists():
            raise UserError(f"handler file {path} missing; check CodeUri/Handler in template.yaml")
        variables = props.get("Environment", {}).get("Variables", {})
        spec = FunctionSpec(
            name=function_name,
            code_dir=code_dir,
            handler=props["Handler"],
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            concurrency=int(props.get("ReservedConcurrentExecutions") or DEFAULT_CONCURRENCY),
            environment={str(k): str(v) for k, v in variables.items()},
        )
        with self._lock:
            previous = self._pools.get(function_name)
            self._pools[function_name] = WorkerPool(spec, self._start_worker)
        if previous is not None:
            idle, busy = previous.close()
            for worker in [*idle, *busy]:
                worker.wait(STOP_SECONDS, release=worker in idle)

    @property
    def functions(self) -> set[str]:
        return set(self._pools)

    def spec(self, function_name: str) -> FunctionSpec:
        return self._pools[function_name].spec

    def worker_pids(self, function_name: str | None = None) -> set[int]:
        pools = [self._pools[function_name]] if function_name else list(self._pools.values())
        return {w.pid for pool in pools for w in [*pool.idle, *pool.busy] if w.alive}

    def worker_environment(self, spec: FunctionSpec) -> dict[str, str]:
        """A worker's whole environment: what Lambda itself sets, then the stack's, then the function's."""
        system = {key: os.environ[key] for key in _SYSTEM_ENV if key in os.environ}
        service = {
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "_HANDLER": spec.handler,
            "PYTHONUNBUFFERED": "1",  # log lines reach the file as they are written
        }
        return {**system, **service, **self.environment, **spec.environment}

    def _start_worker(self, spec: FunctionSpec) -> Worker:
        return Worker(spec, self.worker_environment(spec), self.log_dir / f"{spec.name}.log")

    def warm(self) -> None:
        """Start one worker per function now, side by side, so the first frames pay no cold start; a
        handler that cannot load stops the stack here with one line naming the function."""
        problems: dict[str, str] = {}
        pools = list(self._pools.values())

        def start(pool: WorkerPool) -> None:
            try:
                worker, problem = pool.acquire()
            except WorkerGone:
                return
            if worker is None:
                problems[pool.spec.name] = problem or "?"
            else:
                pool.release(worker, healthy=True)

        threads = [threading.Thread(target=start, args=(pool,), daemon=True) for pool in pools]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if problems:
            name, problem = sorted(problems.items())[0]
            try:
                detail = json.loads(problem)
                problem = f"{detail.get('errorType')}: {detail.get('errorMessage')}"
            except (ValueError, AttributeError):
                pass
            raise UserError(f"function {name} cannot start: {problem}")

    def recycle(self, function_name: str) -> int:
        """Its workers end; the next invocation starts new ones (new code or environment)."""
        return self._pools[function_name].recycle()

    def stop(self) -> None:
        """End every worker: each gets :data:`STOP_SECONDS` to finish, then it is killed."""
        with self._lock:
            pools = list(self._pools.values())
        closed = [pool.close() for pool in pools]
        deadline = time.monotonic() + STOP_SECONDS
        for idle, busy in closed:
            for worker in [*idle, *busy]:
                worker.wait(max(0.0, deadline - time.monotonic()), release=worker in idle)

    # ------------------------------------------------------------------ invoke
    def invoke(self, function_name: str, arn: str, event: Any) -> tuple[str, bool]:
        """Returns (payload JSON, errored) the way the Lambda Invoke API reports them."""
        pool = self._pools[function_name]
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        pid, cold = 0, False
        try:
            if self.fault:
                self.fault(function_name, event)
            payload, errored, pid, cold = self._dispatch(pool, arn, event, request_id)
        except Exception as exc:  # the fault hook, or the stack stopping under the call
            payload, errored = json.dumps(error_object(type(exc).__name__, exc)), True
        error = None
        if errored:
            try:
                error = str(json.loads(payload).get("errorType") or "Unhandled")
            except (ValueError, AttributeError):
                error = "Unhandled"
        with self._lock:
            self.invocations.append(
                Invocation(function_name, started, time.monotonic() - started, error, pid, cold)
            )
        return payload, errored

    def _dispatch(
        self, pool: WorkerPool, arn: str, event: Any, request_id: str
    ) -> tuple[str, bool, int, bool]:
        spec = pool.spec
        request = {
            "event": event,
            "arn": arn,
            "request_id": request_id,
            "timeout": spec.timeout,
            "memory": spec.memory,
        }
        for _attempt in range(3):  # a worker found dead before it took the event: use another one
            worker, problem = pool.acquire()
            if worker is None:
                return problem or "{}", True, 0, True
            cold = worker.invocations == 0
            try:
                answer = worker.call(request, time.monotonic() + spec.timeout)
            except WorkerGone as gone:
                pool.release(worker, healthy=False)
                if gone.took_event:
                    return _exit_error(worker, request_id), True, worker.pid, cold
                continue
            if answer is None:  # the function's Timeout: Lambda ends the environment
                pool.release(worker, healthy=False)
                message = f"RequestId: {request_id} Error: Task timed out after {spec.timeout:.2f} seconds"
                return (
                    json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}),
                    True,
                    worker.pid,
                    cold,
                )
            pool.release(worker, healthy=True)
            return answer[0], answer[1], worker.pid, cold
        raise WorkerGone(f"no worker of {spec.name} took the event")
