"""Caches for moto's Step Functions interpreter, which rebuilds costly objects on every state
(installed by :mod:`framewatch.embedded.moto_hooks`).

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
from typing import Any

_ATOMS = (str, int, float, bool, type(None))
# The interpreter's modules that copy workflow data (found with `grep -rn deepcopy` in moto 5.2.5).
COPYING_MODULES = (
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
