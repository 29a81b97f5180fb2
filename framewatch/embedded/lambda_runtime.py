"""Runs the real Lambda handlers in-process when the emulator invokes a function.

Every invoke path of moto's Lambda ends in ``LambdaFunction._invoke_lambda(event)``, which would
start a Docker container; :mod:`framewatch.embedded.moto_hooks` routes it here, which imports
``functions/<name>/app.py`` (the folder the template's CodeUri names) once and calls the handler
with a Lambda-like context. A handler that raises returns ``{"errorType", "errorMessage"}`` with
the error flag set, so Step Functions sees the same error names it would see on AWS (and
Retry/Catch match them the same way).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from framewatch.embedded.template import local_path
from framewatch.errors import UserError


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionLogs(io.TextIOBase):
    """Stands in for ``sys.stdout``: what a handler prints goes to its function's log file, as Lambda
    sends it to CloudWatch Logs (Powertools' JSON logs and EMF metrics), and everything else still
    reaches the terminal. Which function is running is known per thread."""

    def __init__(self, terminal: Any, folder: Path) -> None:
        super().__init__()
        self.terminal, self.folder = terminal, folder
        self._current = threading.local()
        self._files: dict[str, Any] = {}
        self._lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def function(self, name: str) -> Iterator[None]:
        previous = getattr(self._current, "name", None)
        self._current.name = name
        try:
            yield
        finally:
            self._current.name = previous

    def write(self, text: str) -> int:
        name = getattr(self._current, "name", None)
        if name is None:
            return int(self.terminal.write(text))
        with self._lock:
            if name not in self._files:
                self._files[name] = (self.folder / f"{name}.log").open("a", buffering=1)
            return int(self._files[name].write(text))

    def flush(self) -> None:
        self.terminal.flush()

    def isatty(self) -> bool:
        return bool(self.terminal.isatty())

    def fileno(self) -> int:
        return int(self.terminal.fileno())

    def close_files(self) -> None:
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()


@dataclass
class Invocation:
    function: str
    started: float
    seconds: float
    error: str | None


class LocalLambdaRuntime:
    """Function name → handler, with per-function call statistics for the bench and the demo."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {}
        self._modules: dict[Path, ModuleType] = {}
        self._lock = threading.Lock()
        # The latest calls (bench reads their timings); bounded, as `up` runs for weeks.
        self.invocations: deque[Invocation] = deque(maxlen=100_000)
        self.fault: Callable[[str, Any], None] | None = None  # tests inject failures here
        self.logs: FunctionLogs | None = None

    def capture_output(self, folder: Path) -> None:
        """From now on handlers print into ``folder/<function>.log`` (set before handlers load, since
        loggers keep the stream they were created with)."""
        if not isinstance(sys.stdout, FunctionLogs):
            sys.stdout = FunctionLogs(sys.stdout, folder)
        self.logs = sys.stdout

    def release_output(self) -> None:
        if self.logs is not None and sys.stdout is self.logs:
            sys.stdout = self.logs.terminal
            self.logs.close_files()

    def register(self, function_name: str, props: dict[str, Any]) -> None:
        code_dir = local_path(props["Code"])
        module_name, _, handler_name = props["Handler"].rpartition(".")
        module = self._load(code_dir / f"{module_name.replace('.', '/')}.py")
        handler = getattr(module, handler_name, None)
        if handler is None:
            raise UserError(f"function {function_name}: {props['Handler']} not found in {code_dir}")
        self._handlers[function_name] = (handler, props)

    def _load(self, path: Path) -> ModuleType:
        with self._lock:
            if path in self._modules:
                return self._modules[path]
            if not path.exists():
                raise UserError(f"handler file {path} missing; check CodeUri/Handler in template.yaml")
            name = "framewatch_fn_" + path.parent.name
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            self._modules[path] = module
            return module

    @property
    def functions(self) -> set[str]:
        return set(self._handlers)

    def invoke(self, function_name: str, arn: str, event: Any) -> tuple[str, bool]:
        """Returns (payload JSON, errored) the way the Lambda Invoke API reports them."""
        handler, props = self._handlers[function_name]
        timeout = int(props.get("Timeout", 3))
        context = LambdaContext(
            function_name=function_name,
            memory_limit_in_mb=int(props.get("MemorySize", 128)),
            invoked_function_arn=arn,
            timeout_seconds=timeout,
            _deadline=time.monotonic() + timeout,
        )
        started = time.monotonic()
        error = None
        try:
            with self.logs.function(function_name) if self.logs else contextlib.nullcontext():
                if self.fault:
                    self.fault(function_name, event)
                result = handler(event, context)
            payload, errored = json.dumps(result, default=str), False
        except Exception as exc:
            error = type(exc).__name__
            payload = json.dumps(
                {
                    "errorType": error,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_exception(exc)[-3:],
                }
            )
            errored = True
        with self._lock:
            self.invocations.append(Invocation(function_name, started, time.monotonic() - started, error))
        return payload, errored
