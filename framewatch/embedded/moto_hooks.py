"""Every moto internal the embedded stack replaces, in one place, checked before anything is patched.

moto has no plug-in API for what the stack needs, so it swaps private functions: Lambda invocations
run the real handlers in their worker processes (``lambda_runtime``), EventBridge rules start Step Functions
executions (``rules``), and the ASL interpreter caches what it would rebuild per state
(``emulator_speedups``), and a failed UpdateItem leaves the item as it was (``_atomic_updates``).
A moto release can rename or re-shape any of them without notice; a silent
miss would leave the stack half-patched (Lambda tasks trying to start Docker, rules that never fire).
So :func:`check` compares moto's version and each symbol's parameters with what these hooks were
written against, and a difference stops the stack with one line naming the symbol.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from framewatch.embedded.emulator_speedups import COPYING_MODULES, json_copy
from framewatch.errors import UserError

if TYPE_CHECKING:
    from framewatch.embedded.lambda_runtime import LocalLambdaRuntime
    from framewatch.embedded.rules import RuleRouter

MOTO_VERSION = "5.2.5"  # the version constraints.txt pins and these hooks were read against

_SFN = "moto.stepfunctions.parser"


@dataclass(frozen=True)
class Symbol:
    """A moto attribute the hooks replace or call; ``parameters`` None means it only has to exist."""

    module: str
    name: str
    parameters: tuple[str, ...] | None

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


# Replaced.
INVOKE_LAMBDA = Symbol("moto.awslambda.models", "LambdaFunction._invoke_lambda", ("self", "event"))
INVOKE_LAMBDA_TASK = Symbol(
    f"{_SFN}.asl.component.state.exec.state_task.lambda_eval_utils",
    "_invoke_lambda_function",
    ("parameters", "region", "state_credentials"),
)
SEND_TO_TARGETS = Symbol(
    "moto.events.models", "Rule.send_to_targets", ("self", "original_event", "transform_input")
)
ENTRYPOINT = Symbol(
    f"{_SFN}.backend.execution_worker", "ExecutionWorker._get_evaluation_entrypoint", ("self",)
)
BOTO_CLIENT_FOR = Symbol(
    f"{_SFN}.asl.utils.boto_client", "boto_client_for", ("region", "service", "state_credentials")
)
JSON_PATH_PARSE = Symbol(f"{_SFN}.asl.utils.json_path", "parse", ("path", "debug"))
UPDATE_ITEM = Symbol(
    "moto.dynamodb.models",
    "DynamoDBBackend.update_item",
    (
        "self",
        "table_name",
        "key",
        "update_expression",
        "expression_attribute_names",
        "expression_attribute_values",
        "attribute_updates",
        "expected",
        "condition_expression",
        "return_values_on_condition_check_failure",
    ),
)
BACKEND_FOR_HOST = Symbol(
    "moto.moto_server.werkzeug_app", "DomainDispatcherApplication.get_backend_for_host", ("self", "host")
)

SYMBOLS = (
    INVOKE_LAMBDA,
    INVOKE_LAMBDA_TASK,
    SEND_TO_TARGETS,
    ENTRYPOINT,
    BOTO_CLIENT_FOR,
    JSON_PATH_PARSE,
    UPDATE_ITEM,
    BACKEND_FOR_HOST,
    *(Symbol(module, "copy", None) for module in COPYING_MODULES),
    # Called by the replacements.
    Symbol("moto.events.models", "EventTemplateParser.parse", ("input_template", "input_paths_map", "event")),
    Symbol(f"{_SFN}.asl.parse.asl_parser", "AmazonStateLanguageParser.parse", ("definition",)),
    Symbol("moto.settings", "moto_server_port", ()),
    Symbol(
        "moto.dynamodb.models",
        "DynamoDBBackend.get_item",
        ("self", "table_name", "keys", "projection_expressions"),
    ),
    Symbol("moto.dynamodb.models", "DynamoDBBackend.delete_item", None),
)

# What the hooks replaced, by qualified name: a second stack in the same process checks these.
_originals: dict[str, Any] = {}


def _lookup(symbol: Symbol) -> Any:
    """The attribute as moto defines it (the original, once a hook replaced it)."""
    if symbol.qualified in _originals:
        return _originals[symbol.qualified]
    target: Any = importlib.import_module(symbol.module)
    for part in symbol.name.split("."):
        target = getattr(target, part)
    return target


def mismatch(version: str, lookup: Callable[[Symbol], Any] = _lookup) -> str | None:
    """One line saying what differs from what the hooks expect, or None when nothing does."""
    if version != MOTO_VERSION:
        return (
            f"moto {version} is installed but the embedded stack's hooks are written for moto "
            f"{MOTO_VERSION} (install with -c constraints.txt)"
        )
    for symbol in SYMBOLS:
        try:
            found = lookup(symbol)
        except (ImportError, AttributeError):
            return f"moto {version} has no {symbol.qualified}, which the embedded stack replaces or calls"
        if symbol.parameters is None:
            continue
        parameters = tuple(inspect.signature(found).parameters)
        if parameters != symbol.parameters:
            return (
                f"moto {version} changed {symbol.qualified}: parameters ({', '.join(parameters)}), "
                f"expected ({', '.join(symbol.parameters)})"
            )
    return None


def check() -> None:
    """Stop with one line if the installed moto is not the one these hooks were written for."""
    import moto

    problem = mismatch(moto.__version__)
    if problem:
        raise UserError(problem)


def install(runtime: LocalLambdaRuntime, router: RuleRouter) -> None:
    """Check moto, then route its Lambda invocations to ``runtime`` and its rules to ``router``."""
    check()
    _route_lambda(runtime)
    _route_rules(router)
    _speed_up_interpreter()
    _atomic_updates()
    _speed_up_dispatch()


def _replace(owner: Any, name: str, qualified: str, replacement: Any) -> None:
    _originals.setdefault(qualified, getattr(owner, name))
    setattr(owner, name, replacement)


def _route_lambda(runtime: LocalLambdaRuntime) -> None:
    """Both ways moto invokes a function reach ``runtime``'s handler with the same event.

    The Lambda Invoke API (the Pipe's enrichment call, any SDK caller) ends in
    ``LambdaFunction._invoke_lambda``, which would start a Docker container; the Step Functions
    ``lambda:invoke`` integration would otherwise make an HTTP round trip to the emulator's own
    Lambda API for every task. Errors are reported the same way (``FunctionError`` + error payload).
    """
    from moto.awslambda import models
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        if isinstance(event, bytes | str):
            event = json.loads(event or "{}")
        payload, errored = runtime.invoke(self.function_name, self.function_arn, event)
        return payload, errored, ""

    _replace(models.LambdaFunction, "_invoke_lambda", INVOKE_LAMBDA.qualified, _invoke_lambda)

    original = _originals.get(INVOKE_LAMBDA_TASK.qualified, lambda_eval_utils._invoke_lambda_function)

    def _invoke_lambda_function(parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
        arn = str(parameters.get("FunctionName", ""))
        name = arn.rsplit(":function:", 1)[-1].split(":", 1)[0]
        if (
            name not in runtime.functions
            or parameters.get("InvocationType", "RequestResponse") != "RequestResponse"
        ):
            return original(parameters, region, state_credentials)
        event = parameters.get("Payload")
        if isinstance(event, bytes | str):
            event = json.loads(event or "null")
        payload, errored = runtime.invoke(name, arn, event)
        response: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": json.loads(payload),
        }
        if errored:
            response["FunctionError"] = "Unhandled"
        return response

    _replace(
        lambda_eval_utils, "_invoke_lambda_function", INVOKE_LAMBDA_TASK.qualified, _invoke_lambda_function
    )


def _route_rules(router: RuleRouter) -> None:
    """A rule with a Step Functions target starts an execution through ``router``; moto has no such
    target. moto still matches the event pattern and applies input transformers."""
    from moto.events.models import EventTemplateParser, Rule

    original = _originals.get(SEND_TO_TARGETS.qualified, Rule.send_to_targets)

    def send_to_targets(self: Any, event: Any, transform_input: bool = True) -> None:
        if getattr(self, "scheduled_expression", None):
            return  # a schedule receives no events, as on AWS (framewatch/embedded/schedules.py fires it)
        states = [t for t in self.targets if ":states:" in t["Arn"]]
        others = [t for t in self.targets if t not in states]
        if others:
            saved, self.targets = self.targets, others
            try:
                original(self, event, transform_input)
            finally:
                self.targets = saved
        if not states or self.state != "ENABLED" or not self.event_pattern.matches_event(event):
            return
        for target in states:
            transformer = target.get("InputTransformer")
            payload = event
            if transformer:
                payload = EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"),
                    input_paths_map=transformer.get("InputPathsMap", {}),
                    event=event,
                )
            elif "Input" in target:
                payload = json.loads(target["Input"])
            router.deliver(target["Arn"], payload)

    _replace(Rule, "send_to_targets", SEND_TO_TARGETS.qualified, send_to_targets)


_interpreter_sped_up = False
_dispatch_sped_up = False
# Hosts a request named (endpoint host, virtual-hosted buckets): plenty for one machine's stack.
_HOSTS_REMEMBERED = 4096


def _speed_up_dispatch() -> None:
    """moto's server finds the backend for each request's host by listing its own package folder
    (``os.listdir`` + ``isdir`` of ~150 entries) and trying ~300 URL patterns, under one lock that
    every request takes: ~1 ms of CPU per request (a quarter of a DynamoDB PutItem's, measured).
    The answer depends on the host alone and moto's folders do not change while it runs, so it is
    remembered per host."""
    global _dispatch_sped_up
    if _dispatch_sped_up:
        return
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host
    backends: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host in backends:
            return backends[host]
        backend = original(self, host)
        if len(backends) < _HOSTS_REMEMBERED:
            backends[host] = backend
        return backend

    _replace(
        DomainDispatcherApplication,
        "get_backend_for_host",
        BACKEND_FOR_HOST.qualified,
        get_backend_for_host,
    )
    _dispatch_sped_up = True


def _speed_up_interpreter() -> None:
    """The caches and the JSON copy of :mod:`framewatch.embedded.emulator_speedups` (once a process)."""
    global _interpreter_sped_up
    if _interpreter_sped_up:
        return
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    _replace(json_path, "parse", JSON_PATH_PARSE.qualified, lru_cache(maxsize=4096)(json_path.parse))

    @lru_cache(maxsize=64)
    def parsed_program(definition: str) -> Any:
        return AmazonStateLanguageParser.parse(definition)[0]

    def entrypoint(self: Any) -> Any:
        return parsed_program(self._evaluation_details.state_machine_details.definition)

    _replace(ExecutionWorker, "_get_evaluation_entrypoint", ENTRYPOINT.qualified, entrypoint)

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

    _replace(boto_client, "boto_client_for", BOTO_CLIENT_FOR.qualified, boto_client_for)
    # Modules that did `from ... import boto_client_for` before this ran hold the old name.
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions") and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]
    shim = types.SimpleNamespace(deepcopy=json_copy, copy=copy.copy)
    for name in COPYING_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "copy", None) is copy:
            _replace(module, "copy", f"{name}.copy", shim)
    _interpreter_sped_up = True


def _atomic_updates() -> None:
    """An UpdateItem that fails leaves the item as it was, as DynamoDB's does.

    moto applies an update expression's actions to the stored item one by one; when a later action
    fails (``ADD`` to an attribute of another type), the earlier ``SET``s stay. EnrollFace's "Record the
    person" would then show the person ``enrolled`` until its Catch records ``failed``, which no
    reader of the real table can ever see.
    """
    from moto.dynamodb.models import DynamoDBBackend

    if UPDATE_ITEM.qualified in _originals:
        return
    original = DynamoDBBackend.update_item

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            before = self.get_item(table_name, key)
        except Exception:  # no such table, a malformed key: the update itself says so
            return original(self, table_name, key, *args, **kwargs)
        saved = None if before is None else copy.deepcopy(before.attrs)
        try:
            return original(self, table_name, key, *args, **kwargs)
        except Exception:
            after = self.get_item(table_name, key)
            if saved is None and after is not None:
                self.delete_item(table_name, key)
            elif saved is not None and after is not None:
                after.attrs.clear()
                after.attrs.update(saved)
            raise

    _replace(DynamoDBBackend, "update_item", UPDATE_ITEM.qualified, update_item)
