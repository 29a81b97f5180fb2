"""Caches for moto's Step Functions interpreter, which rebuilds costly objects on every state.

Measured on the bikes clip (60 frames, yappi): a new boto3 client per task, a new JSONPath parser
(PLY tables) per path evaluation and an ANTLR parse of the whole definition per execution took most
of the interpreter's CPU. All three results are safe to reuse: boto3 clients are thread-safe, parsed
JSONPath expressions are immutable, and a parsed program keeps its run state in the Environment it is
given (a Map state already runs one parsed item processor for several iterations at once).
Semantics are untouched; only repeated construction is avoided.
"""

from __future__ import annotations

import sys
import threading
from functools import lru_cache
from typing import Any

_installed = False


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
    clients: dict[tuple[str, str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if state_credentials is not None:
            return original(region, service, state_credentials)
        key = (region, service, moto_server_port())
        with lock:
            if key not in clients:
                clients[key] = original(region, service)
            return clients[key]

    boto_client.boto_client_for = boto_client_for
    # Modules that did `from ... import boto_client_for` before this ran hold the old name.
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions") and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]
    _installed = True
