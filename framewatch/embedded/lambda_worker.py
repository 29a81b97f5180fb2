"""One Lambda execution environment of the embedded stack: a process that imports one function's
handler once (its cold start) and then runs one invocation at a time, as long as the stack keeps it.

Started by :mod:`framewatch.embedded.lambda_runtime` as
``python -m framewatch.embedded.lambda_worker <code dir> <module.handler>`` with only the function's
environment. Requests arrive on stdin, one JSON line each; replies leave on the file descriptor named
by ``FRAMEWATCH_REPLY_FD``, one line each: ``R`` + the handler's result as JSON, or ``E`` + the Lambda
error object (``errorType``, ``errorMessage``, ``stackTrace``). stdout and stderr are the function's
log file, as CloudWatch Logs receives them on Lambda. The worker ends when stdin closes (the stack
stopped, or the process that started it went away).

This module imports nothing of the emulator: the worker's memory and start-up are the handler's own.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

REPLY_FD_ENV = "FRAMEWATCH_REPLY_FD"


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


def error_object(error_type: str, exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": error_type,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[-3:],
    }


def _load(handler_spec: str) -> Any:
    """The handler, imported the way Lambda's Python runtime does, with its error names."""
    module_name, _, attribute = handler_spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise _InitError("Runtime.UserCodeSyntaxError", exc) from exc
    except ImportError as exc:
        raise _InitError("Runtime.ImportModuleError", exc) from exc
    handler = getattr(module, attribute, None)
    if handler is None:
        missing = AttributeError(f"Handler '{attribute}' missing on module '{module_name}'")
        raise _InitError("Runtime.HandlerNotFound", missing)
    return handler


class _InitError(Exception):
    def __init__(self, error_type: str, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.error_type, self.cause = error_type, cause


def main() -> int:
    # Ctrl+C in `up`'s terminal reaches the whole process group; the stack ends its workers itself,
    # after the batches in flight drained, so an interrupt must not cut an invocation short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    code_dir, handler_spec, function_name = sys.argv[1], sys.argv[2], sys.argv[3]
    replies = os.fdopen(int(os.environ.pop(REPLY_FD_ENV)), "w", buffering=1, encoding="utf-8")
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    # The request pipe is the worker's own; the handler's stdin is empty, as on Lambda.
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)

    def reply(kind: str, body: str) -> None:
        replies.write(kind + body + "\n")

    sys.path.insert(0, code_dir)  # the function's folder is the task root
    try:
        handler = _load(handler_spec)
    except _InitError as exc:
        reply("E", json.dumps(error_object(exc.error_type, exc.cause)))
        return 1
    except Exception as exc:  # raised while importing: Lambda reports it by its own name
        reply("E", json.dumps(error_object(type(exc).__name__, exc)))
        return 1
    reply("S", str(os.getpid()))  # started: the next line answers a request
    for line in requests:
        request = json.loads(line)
        timeout = int(request["timeout"])
        context = LambdaContext(
            function_name=function_name,
            memory_limit_in_mb=int(request["memory"]),
            invoked_function_arn=request["arn"],
            timeout_seconds=timeout,
            aws_request_id=request["request_id"],
            log_group_name=f"/aws/lambda/{function_name}",
            _deadline=time.monotonic() + timeout,
        )
        try:
            result = handler(request["event"], context)
            body, kind = json.dumps(result, default=str), "R"
        except Exception as exc:
            body, kind = json.dumps(error_object(type(exc).__name__, exc)), "E"
        sys.stdout.flush()
        reply(kind, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
