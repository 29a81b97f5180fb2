"""Caches for moto's Step Functions interpreter, which rebuilds costly objects on every state.

Measured on the bikes clip (60 frames, yappi): a new boto3 client per task, a new JSONPath parser
(PLY tables) per path evaluation and an ANTLR parse of the whole definition per execution took most
of the interpreter's CPU. All three results are safe to reuse: boto3 clients are thread-safe, parsed
JSONPath expressions are immutable, and a parsed program keeps its run state in the Environment it is
given (a Map state already runs one parsed item processor for several iterations at once).
Semantics are untouched; only repeated construction is avoided.

The interpreter also deep-copies every state's input and output with ``copy.deepcopy``; workflow
data is JSON (dicts, lists, strings, numbers), which a plain recursive copy duplicates several times
faster. Anything else still goes through ``copy.deepcopy``.
"""

from __future__ import annotations

import copy
import importlib
import sys
import threading
import types
from functools import lru_cache
from typing import Any

_installed = False

_ATOMS = (str, int, float, bool, type(None))
# The interpreter's modules that copy workflow data (found with `grep -rn deepcopy` in moto 5.2.5).
_COPYING_MODULES = (
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
)


def json_copy(value: Any, memo: Any = None) -> Any:
    """A deep copy of JSON-shaped data; other objects are handed to ``copy.deepcopy``."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    return copy.deepcopy(value, memo)


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    json_path.parse = lru_cache(maxsize=4096)(json_path.parse)

    @lru_cache(maxsize=64)
    def parsed_program(definition: str) -> Any:
        return AmazonStateLanguageParser.parse(definition)[0]

    def entrypoint(self: Any) -> Any:
        return parsed_program(self._evaluation_details.state_machine_details.definition)

    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign]

    original = boto_client.boto_client_for
    clients: dict[tuple[str, str, str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # Task credentials (a role to assume) only name the role: the emulator signs with fake keys.
        role = getattr(state_credentials, "role_arn", None)
        key = (region, service, moto_server_port(), str(role))
        with lock:
            if key not in clients:
                clients[key] = original(region, service, state_credentials)
            return clients[key]

    boto_client.boto_client_for = boto_client_for
    # Modules that did `from ... import boto_client_for` before this ran hold the old name.
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions") and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]
    shim = types.SimpleNamespace(deepcopy=json_copy, copy=copy.copy)
    for name in _COPYING_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "copy", None) is copy:
            module.copy = shim  # type: ignore[attr-defined]
    _installed = True
