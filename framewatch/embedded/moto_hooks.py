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
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from framewatch.embedded import emulator_storage
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
RESULT_PATH_PARSE = Symbol(f"{_SFN}.asl.component.common.path.result_path", "parse", ("string",))
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
SHARD_GET_RECORDS = Symbol("moto.kinesis.models", "Shard.get_records", ("self", "last_sequence_id", "limit"))
UPDATE_EXPRESSION_PARSE = Symbol(
    "moto.dynamodb.parsing.expressions", "UpdateExpressionParser.make", ("expression_str",)
)
ACTION_COUNTS = Symbol(
    "moto.dynamodb.parsing.validators", "ActionCountValidator.verify_action_counts", ("self", "node")
)
SHARD_MIN_SEQUENCE = Symbol("moto.kinesis.models", "Shard.get_min_sequence_number", ("self",))
SHARD_MAX_SEQUENCE = Symbol("moto.kinesis.models", "Shard.get_max_sequence_number", ("self",))

SYMBOLS = (
    INVOKE_LAMBDA,
    INVOKE_LAMBDA_TASK,
    SEND_TO_TARGETS,
    ENTRYPOINT,
    BOTO_CLIENT_FOR,
    JSON_PATH_PARSE,
    RESULT_PATH_PARSE,
    UPDATE_ITEM,
    BACKEND_FOR_HOST,
    SHARD_GET_RECORDS,
    SHARD_MIN_SEQUENCE,
    SHARD_MAX_SEQUENCE,
    UPDATE_EXPRESSION_PARSE,
    ACTION_COUNTS,
    *(Symbol(module, "copy", None) for module in COPYING_MODULES),
    # Called by the replacements.
    Symbol(
        "moto.core.botocore_stubber", "BotocoreStubber.__call__", ("self", "event_name", "request", "kwargs")
    ),
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
    return _check_symbols(version, SYMBOLS, lookup)


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
    _speed_up_shards()
    _speed_up_update_expressions()


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


def _speed_up_shards() -> None:
    """moto's Kinesis shard reads its records from the first on every call: each PutRecord lists
    every record to find the last sequence number, and each GetRecords walks from the oldest record
    to its iterator's. With the stream's 24 h retention at 5 fps that is 432 000 records per call,
    and a CPU cost that grows all day. Sequence numbers are consecutive integers (a shard gives the
    next one to each record; the retention trims the oldest): the first and last are the ends of
    the ordered dict, and a read goes straight from its iterator's number to the next ``limit``."""
    if SHARD_GET_RECORDS.qualified in _originals:
        return
    from moto.kinesis.models import Shard

    from framewatch.embedded.stream_store import ShardRecords

    def first_sequence(self: Any) -> int:
        records = self.records
        return records.first_key() if isinstance(records, ShardRecords) else next(iter(records), 0)

    def last_sequence(self: Any) -> int:
        records = self.records
        return records.last_key() if isinstance(records, ShardRecords) else next(reversed(records), 0)

    def get_records(self: Any, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
        records = self.records
        last = int(last_sequence_id)
        if isinstance(records, ShardRecords):  # one query for the page (see stream_store)
            page = records.read_from(max(last + 1, records.first_key()), limit)
            if not page:
                return [], last, 0
            with records.store.lock:
                newest = next(reversed(records.tail.values()), page[-1]).created_at
            return page, page[-1].sequence_number, int((newest - page[-1].created_at) * 1000)
        results: list[Any] = []
        behind = 0.0
        newest = next(reversed(records), 0)
        number = max(last + 1, next(iter(records), 0))
        while number <= newest:
            record = records.get(number)
            number += 1
            if record is None:  # a gap (a trimmed or re-sharded stretch)
                continue
            results.append(record)
            last = record.sequence_number
            behind = records[newest].created_at - record.created_at
            if len(results) == limit:
                break
        return results, last, int(behind * 1000)

    _replace(Shard, "get_min_sequence_number", SHARD_MIN_SEQUENCE.qualified, first_sequence)
    _replace(Shard, "get_max_sequence_number", SHARD_MAX_SEQUENCE.qualified, last_sequence)
    _replace(Shard, "get_records", SHARD_GET_RECORDS.qualified, get_records)


def _in_process_dispatch() -> Callable[[str, str], Any]:
    """A maker of clients for the workflow's SDK tasks that reach moto's backends in this process.

    The interpreter runs in the emulator's own process, yet moto's ``boto_client_for`` sends each
    task (PutItem, UpdateItem, Publish, SendMessage) over loopback HTTP to the server in the same
    process: the client's serialisation and socket, then a new server thread, WSGI parsing and Flask
    dispatch. Profiled at 5 fps with one alert a frame (py-spy, all threads of the emulator), the
    client side of those calls was 18% of the samples, and HTTP serving (these tasks' and the Lambda
    functions' calls) 43%. moto's own in-process route (``BotocoreStubber`` on botocore's
    ``before-send``, what ``mock_aws`` uses) hands the request to the same backends instead. The
    clients ignore the configured endpoint (AWS_ENDPOINT_URL names the server), so requests carry
    AWS's host names, which the stubber routes; one it cannot route is answered 404 there, never
    sent out.
    """
    try:
        import boto3
        from botocore.config import Config
        from moto.core.botocore_stubber import BotocoreStubber
        from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    except ImportError:
        return lambda region, service: None
    stubber = BotocoreStubber()
    stubber.enabled = True
    seconds = TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS

    new_client: Any = boto3.client  # the service is a run-time name: no typed overload applies

    def make(region: str, service: str) -> Any:
        made = new_client(
            service,
            region_name=region,
            aws_access_key_id="ak",
            aws_secret_access_key="sk",
            # botocore has the option since 1.31; its type stubs do not list it yet.
            config=Config(  # type: ignore[call-arg]
                parameter_validation=False,
                retries={"max_attempts": 0, "total_max_attempts": 1},
                connect_timeout=seconds,
                read_timeout=seconds,
                ignore_configured_endpoint_urls=True,
            ),
        )
        made.meta.events.register_first("before-send", stubber)
        return made

    return make


def _speed_up_update_expressions() -> None:
    """moto parses an UpdateExpression two or three times per UpdateItem and counts its clauses
    once per nested node (quadratic in its actions); the tracker's incident updates set about 20
    attributes, 11 ms an update. Parsed once per distinct text (moto validates and applies a deep copy
    of the tree, never the parsed tree itself) and counted once, at the root, whose count includes
    every nested one: 9 ms with the count alone (same errors for repeated clauses), less again with
    the cache."""
    from moto.dynamodb.parsing import validators

    parser = importlib.import_module(UPDATE_EXPRESSION_PARSE.module).UpdateExpressionParser
    if UPDATE_EXPRESSION_PARSE.qualified in _originals:
        return
    make = parser.make

    @lru_cache(maxsize=1024)
    def parsed(expression: str) -> Any:
        return make(expression)

    _replace(parser, "make", UPDATE_EXPRESSION_PARSE.qualified, staticmethod(parsed))
    count = validators.ActionCountValidator.verify_action_counts

    def root_count(self: Any, node: Any) -> Any:
        return count(self, node) if node.parent is None else node

    _replace(validators.ActionCountValidator, "verify_action_counts", ACTION_COUNTS.qualified, root_count)


def _speed_up_interpreter() -> None:
    """The caches and the JSON copy of :mod:`framewatch.embedded.emulator_speedups` (once a process)."""
    global _interpreter_sped_up
    if _interpreter_sped_up:
        return
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    _replace(json_path, "parse", JSON_PATH_PARSE.qualified, lru_cache(maxsize=4096)(json_path.parse))
    # ResultPath parses its path with jsonpath_ng's own parser on every state (a new PLY parser each
    # time: ~5% of the emulator's CPU at full load); the parsed path is only read, never changed.
    _replace(result_path, "parse", RESULT_PATH_PARSE.qualified, lru_cache(maxsize=4096)(result_path.parse))

    @lru_cache(maxsize=64)
    def parsed_program(definition: str) -> Any:
        return AmazonStateLanguageParser.parse(definition)[0]

    def entrypoint(self: Any) -> Any:
        return parsed_program(self._evaluation_details.state_machine_details.definition)

    _replace(ExecutionWorker, "_get_evaluation_entrypoint", ENTRYPOINT.qualified, entrypoint)

    original = boto_client.boto_client_for
    clients: dict[tuple[str, str, str, str], Any] = {}
    lock = threading.Lock()
    in_process = _in_process_dispatch()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # Task credentials (a role to assume) only name the role: the emulator signs with fake keys.
        role = getattr(state_credentials, "role_arn", None)
        key = (region, service, moto_server_port(), str(role))
        with lock:
            if key not in clients:
                clients[key] = in_process(region, service) or original(region, service, state_credentials)
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


# ---------------------------------------------------------------- DynamoDB items on disk
# ``item_store`` keeps each table's items in SQLite; these are the moto internals it stands behind.
_DDB = "moto.dynamodb.models"
TABLE_INIT = Symbol(
    f"{_DDB}.table",
    "Table.__init__",
    (
        "self", "table_name", "account_id", "region", "schema", "attr", "throughput", "billing_mode",
        "indexes", "global_indexes", "streams", "sse_specification", "tags",
        "deletion_protection_enabled", "warm_throughput",
    ),
)  # fmt: skip
TABLE_ALL_ITEMS = Symbol(f"{_DDB}.table", "Table.all_items", ("self",))
TABLE_QUERY = Symbol(
    f"{_DDB}.table",
    "Table.query",
    (
        "self", "hash_key", "range_comparison", "range_objs", "limit", "exclusive_start_key",
        "scan_index_forward", "projection_expressions", "index_name", "consistent_read",
        "filter_expression", "hash_key_conditions", "range_key_conditions", "filter_kwargs",
    ),
)  # fmt: skip
TABLE_SCAN = Symbol(
    f"{_DDB}.table",
    "Table.scan",
    (
        "self", "filters", "limit", "exclusive_start_key", "filter_expression", "index_name",
        "consistent_read", "projection_expression", "segments",
    ),
)  # fmt: skip
BACKEND_PUT_ITEM = Symbol(
    _DDB,
    "DynamoDBBackend.put_item",
    (
        "self", "table_name", "item_attrs", "expected", "condition_expression",
        "expression_attribute_names", "expression_attribute_values", "overwrite",
        "return_values_on_condition_check_failure",
    ),
)  # fmt: skip
BACKEND_UPDATE_ITEM = UPDATE_ITEM
BACKEND_DELETE_ITEM = Symbol(
    _DDB,
    "DynamoDBBackend.delete_item",
    (
        "self", "table_name", "key", "expression_attribute_names", "expression_attribute_values",
        "condition_expression", "return_values_on_condition_check_failure",
    ),
)  # fmt: skip
BACKEND_TRANSACT = Symbol(_DDB, "DynamoDBBackend.transact_write_items", ("self", "transact_items"))
BACKEND_DELETE_TABLE = Symbol(_DDB, "DynamoDBBackend.delete_table", ("self", "name"))

ITEM_STORE_SYMBOLS = (
    TABLE_INIT,
    TABLE_ALL_ITEMS,
    TABLE_QUERY,
    TABLE_SCAN,
    BACKEND_PUT_ITEM,
    BACKEND_UPDATE_ITEM,
    BACKEND_DELETE_ITEM,
    BACKEND_TRANSACT,
    BACKEND_DELETE_TABLE,
    # Called or relied on by the store.
    Symbol(f"{_DDB}.table", "Table.get_item", ("self", "hash_key", "range_key", "projection_expression")),
    Symbol(f"{_DDB}.table", "Table.delete_item", ("self", "hash_key", "range_key")),
    Symbol(f"{_DDB}.dynamo_type", "Item.to_json", ("self", "root_attr_name")),
    Symbol(f"{_DDB}.dynamo_type", "LimitedSizeDict", None),
)

_item_store: Any = None  # the ItemStore new tables keep their items in; None: moto's own dict
_pushdown = threading.local()  # the rows the query or scan under way can match, per table


def active_item_store() -> Any:
    """The ItemStore new tables keep their items in, or None."""
    return _item_store


def item_store_mismatch(version: str, lookup: Callable[[Symbol], Any] = _lookup) -> str | None:
    """As :func:`mismatch`, for the DynamoDB internals the item store stands behind; also checks that
    a new moto table still keeps its items in a ``defaultdict`` assigned to ``Table.items``."""
    problem = _check_symbols(version, ITEM_STORE_SYMBOLS, lookup)
    if problem or lookup is not _lookup:
        return problem
    from collections import defaultdict

    from moto.dynamodb.models.table import Table

    if isinstance(Table.__dict__.get("items"), property):  # already installed
        return None
    probe = Table(  # type: ignore[abstract]
        "probe",
        "123456789012",
        "us-east-1",
        [{"AttributeName": "k", "KeyType": "HASH"}],
        [{"AttributeName": "k", "AttributeType": "S"}],
    )
    if type(probe.__dict__.get("items")) is not defaultdict:
        return f"moto {version} no longer keeps a table's items in Table.items, which the item store replaces"
    return None


def _check_symbols(version: str, symbols: tuple[Symbol, ...], lookup: Callable[[Symbol], Any]) -> str | None:
    for symbol in symbols:
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


def install_item_store(store: Any) -> None:
    """Check moto, then keep the items of every table created from now on in ``store`` (an
    :class:`framewatch.embedded.item_store.ItemStore`; None: tables created from now on keep theirs
    in memory again, as moto does)."""
    global _item_store
    import moto

    problem = item_store_mismatch(moto.__version__)
    if problem:
        raise UserError(problem)
    _item_store = store
    _patch_tables()


_tables_patched = False


def _patch_tables() -> None:
    global _tables_patched
    if _tables_patched:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    from framewatch.embedded.item_store import DiskItems, exact, sortable

    def get_items(self: Any) -> Any:
        return self.__dict__["_items"]

    def set_items(self: Any, value: Any) -> None:
        # Table.__init__ assigns an empty defaultdict: while a store is installed, the store instead.
        if _item_store is not None and not isinstance(value, DiskItems) and not value:
            value = DiskItems(_item_store, self)
        self.__dict__["_items"] = value

    Table.items = property(get_items, set_items)  # type: ignore[assignment]

    all_items = _lookup(TABLE_ALL_ITEMS)

    def all_items_hook(self: Any) -> Any:
        items = self.__dict__.get("_items")
        if not isinstance(items, DiskItems):
            return all_items(self)
        where, args = getattr(_pushdown, "rows", {}).get(id(self), ("", ()))
        return items.all_items(where, args)

    _replace(Table, "all_items", TABLE_ALL_ITEMS.qualified, all_items_hook)

    def pushed(self: Any, rows: tuple[str, tuple[Any, ...]] | None, call: Callable[[], Any]) -> Any:
        if rows is None or not isinstance(self.__dict__.get("_items"), DiskItems):
            return call()
        if not hasattr(_pushdown, "rows"):
            _pushdown.rows = {}
        _pushdown.rows[id(self)] = rows
        try:
            return call()
        finally:
            _pushdown.rows.pop(id(self), None)

    query = _lookup(TABLE_QUERY)

    def query_hook(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(query).bind(self, hash_key, *args, **kwargs).arguments
        rows: tuple[str, tuple[Any, ...]] | None = None
        index_name = bound.get("index_name")
        if not index_name and hash_key is not None:  # the partition's rows only
            rows = ("AND hkey = ?", (exact(hash_key),))
        elif index_name:
            items = self.__dict__.get("_items")
            conditions = dict(bound.get("hash_key_conditions") or [])
            for column, (name, attr) in enumerate(getattr(items, "indexes", [])):
                if name == index_name and attr in conditions:  # the index partition's rows only
                    rows = (f"AND g{column} = ?", (sortable(conditions[attr]),))
        return pushed(self, rows, lambda: query(self, hash_key, *args, **kwargs))

    _replace(Table, "query", TABLE_QUERY.qualified, query_hook)

    scan = _lookup(TABLE_SCAN)

    def scan_hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(scan).bind(self, *args, **kwargs).arguments
        start = bound.get("exclusive_start_key")
        rows: tuple[str, tuple[Any, ...]] | None = None
        if start and not bound.get("index_name") and self.hash_key_attr in start:
            hk = DynamoType(start[self.hash_key_attr])
            rk = DynamoType(start[self.range_key_attr]) if self.range_key_attr in start else None
            # From the start key on (moto itself skips the start key's own item).
            rows = (
                "AND (hs, rs, hkey, rkey) >= (?, ?, ?, ?)",
                (sortable(hk), sortable(rk), exact(hk), exact(rk) if rk is not None else ""),
            )
        return pushed(self, rows, lambda: scan(self, *args, **kwargs))

    _replace(Table, "scan", TABLE_SCAN.qualified, scan_hook)

    def locked(symbol: Symbol, after: Callable[..., None] | None = None) -> None:
        """Conditional writes check and write under the store's lock (one at a time, atomic)."""
        # What is installed now (``_atomic_updates`` may have wrapped UpdateItem already), not moto's.
        original = getattr(DynamoDBBackend, symbol.name.split(".")[1])

        def write(self: Any, *args: Any, **kwargs: Any) -> Any:
            store = _item_store
            if store is None:
                return original(self, *args, **kwargs)
            with store.lock:
                result = original(self, *args, **kwargs)
                if after is not None:
                    after(self, result, *args, **kwargs)
                return result

        _replace(DynamoDBBackend, symbol.name.split(".")[1], symbol.qualified, write)

    def write_back(backend: Any, item: Any, table_name: str, *args: Any, **kwargs: Any) -> None:
        # UpdateItem changed the item it read in place: store it again.
        table = backend.get_table(table_name)
        items = table.__dict__.get("_items")
        if item is not None and isinstance(items, DiskItems):
            items.store.put(items, item)

    locked(BACKEND_PUT_ITEM)
    locked(BACKEND_UPDATE_ITEM, write_back)
    locked(BACKEND_DELETE_ITEM)

    transact = _lookup(BACKEND_TRANSACT)

    def transact_hook(self: Any, transact_items: Any) -> None:
        store = _item_store
        if store is None:
            return transact(self, transact_items)
        with store.lock:
            store.savepoint()
            try:
                transact(self, transact_items)
            except BaseException:
                store.rollback()  # moto puts its copies of the tables back; their rows come back here
                raise
            store.release()
        return None

    _replace(DynamoDBBackend, "transact_write_items", BACKEND_TRANSACT.qualified, transact_hook)

    delete_table = _lookup(BACKEND_DELETE_TABLE)

    def delete_table_hook(self: Any, name: str) -> Any:
        table = delete_table(self, name)
        items = table.__dict__.get("_items") if table is not None else None
        if isinstance(items, DiskItems):
            items.clear()
        return table

    _replace(DynamoDBBackend, "delete_table", BACKEND_DELETE_TABLE.qualified, delete_table_hook)
    _tables_patched = True


# ---------------------------------------------------------------- S3 object index on disk
# ``key_store`` keeps each bucket's keys in SQLite; these are the moto internals it stands behind.
_S3 = "moto.s3.models"
BUCKET_INIT = Symbol(
    _S3, "FakeBucket.__init__", ("self", "name", "account_id", "region_name", "bucket_namespace")
)
LIST_OBJECTS = Symbol(
    _S3, "S3Backend.list_objects", ("self", "bucket", "prefix", "delimiter", "marker", "max_keys")
)
LIST_OBJECTS_V2 = Symbol(
    _S3,
    "S3Backend.list_objects_v2",
    ("self", "bucket", "prefix", "delimiter", "continuation_token", "start_after", "max_keys"),
)
PUT_OBJECT_TAGGING = Symbol(_S3, "S3Backend.put_object_tagging", ("self", "key", "tags"))
S3_RESET = Symbol(_S3, "S3Backend.reset", ("self",))
KEY_STORE_SYMBOLS = (
    BUCKET_INIT,
    S3_RESET,
    LIST_OBJECTS,
    LIST_OBJECTS_V2,
    PUT_OBJECT_TAGGING,
    # Relied on by the store: a key deletes its body when disposed, and when collected.
    Symbol(_S3, "FakeKey.dispose", ("self", "garbage")),
    Symbol(_S3, "FakeKey.__del__", ("self",)),
    Symbol(_S3, "FakeDeleteMarker", None),
    Symbol("moto.s3.utils", "_VersionedKeyStore", None),
)

SHARD_INIT = Symbol(
    "moto.kinesis.models",
    "Shard.__init__",
    ("self", "shard_id", "starting_hash", "ending_hash", "parent", "adjacent_parent"),
)
STREAM_STORE_SYMBOLS = (
    SHARD_INIT,
    SHARD_GET_RECORDS,
    SHARD_MIN_SEQUENCE,
    SHARD_MAX_SEQUENCE,
    # What a rebuilt record must answer (stream_store builds it without __init__).
    Symbol("moto.kinesis.models", "Record.to_json", ("self",)),
    Symbol("moto.kinesis.models", "Shard.put_record", ("self", "partition_key", "data", "explicit_hash_key")),
)

_stream_store: Any = None  # the StreamStore new shards keep their records in; None: moto's own dict


def stream_store_mismatch(version: str, lookup: Callable[[Symbol], Any] = _lookup) -> str | None:
    """As :func:`mismatch`, for the Kinesis internals the stream store stands behind; also checks
    that a new moto shard keeps its records in an ordered dict assigned to ``Shard.records`` and that
    a record has the attributes a rebuilt one is given."""
    problem = _check_symbols(version, STREAM_STORE_SYMBOLS, lookup)
    if problem or lookup is not _lookup:
        return problem
    from moto.kinesis.models import Record, Shard

    if isinstance(Shard.__dict__.get("records"), property):  # already installed
        return None
    probe = Shard(0, 0, 1)
    if type(probe.__dict__.get("records")) is not OrderedDict:
        return f"moto {version} no longer keeps a shard's records in Shard.records (the stream store's place)"
    if emulator_storage.segments is None:
        return None  # the attribute check needs the data on disk (Record.data is then a property)
    record = Record("key", "ZGF0YQ==", 1, "1")
    expected = {
        "partition_key",
        "sequence_number",
        "explicit_hash_key",
        "created_at_datetime",
        "created_at",
        "_place",
    }
    if set(record.__dict__) != expected:
        return (
            f"moto {version}'s Kinesis Record has attributes {sorted(record.__dict__)},"
            f" the stream store rebuilds {sorted(expected)}"
        )
    return None


def install_stream_store(store: Any) -> None:
    """Check moto, then keep the records of every shard created from now on in ``store`` (a
    :class:`framewatch.embedded.stream_store.StreamStore`; None: in memory again, as moto does)."""
    global _stream_store
    import moto

    problem = stream_store_mismatch(moto.__version__)
    if problem:
        raise UserError(problem)
    _stream_store = store
    if SHARD_INIT.qualified in _originals:
        return
    from moto.kinesis.models import Shard

    from framewatch.embedded.stream_store import ShardRecords

    def get_records(self: Any) -> Any:
        return self.__dict__["records"]

    def set_records(self: Any, value: Any) -> None:
        # Shard.__init__ (and a reshard) assigns an empty ordered dict: while a store is installed, the store.
        if _stream_store is not None and not isinstance(value, ShardRecords) and not value:
            value = ShardRecords(_stream_store)
        self.__dict__["records"] = value

    _originals[SHARD_INIT.qualified] = Shard.__init__
    Shard.records = property(get_records, set_records)  # type: ignore[assignment]
    _speed_up_shards()


_key_store: Any = None  # the KeyStore new buckets keep their keys in; None: moto's own dict


def active_key_store() -> Any:
    """The KeyStore new buckets keep their keys in, or None."""
    return _key_store


def key_store_mismatch(version: str, lookup: Callable[[Symbol], Any] = _lookup) -> str | None:
    """As :func:`mismatch`, for the S3 internals the key store stands behind; also checks that a new
    moto bucket still keeps its keys in a ``_VersionedKeyStore`` assigned to ``FakeBucket.keys``."""
    problem = _check_symbols(version, KEY_STORE_SYMBOLS, lookup)
    if problem or lookup is not _lookup:
        return problem
    from moto.s3.models import FakeBucket
    from moto.s3.utils import _VersionedKeyStore

    if isinstance(FakeBucket.__dict__.get("keys"), property):  # already installed
        return None
    probe = FakeBucket("probe", "123456789012", "us-east-1")  # type: ignore[abstract]
    if type(probe.__dict__.get("keys")) is not _VersionedKeyStore:
        return (
            f"moto {version} no longer keeps a bucket's keys in FakeBucket.keys, which the key store replaces"
        )
    return None


def install_key_store(store: Any) -> None:
    """Check moto, then keep the keys of every bucket created from now on in ``store`` (a
    :class:`framewatch.embedded.key_store.KeyStore`; None: in memory again, as moto does)."""
    global _key_store
    import moto

    problem = key_store_mismatch(moto.__version__)
    if problem:
        raise UserError(problem)
    _key_store = store
    _patch_buckets()


def _patch_buckets() -> None:
    if LIST_OBJECTS.qualified in _originals:
        return
    from moto.s3.models import FakeBucket, S3Backend

    from framewatch.embedded.key_store import DiskKeys, listing

    def get_keys(self: Any) -> Any:
        return self.__dict__["keys"]

    def set_keys(self: Any, value: Any) -> None:
        # FakeBucket.__init__ assigns an empty _VersionedKeyStore: while a store is installed, the store.
        if _key_store is not None and not isinstance(value, DiskKeys) and not value:
            value = DiskKeys(_key_store, self)
        self.__dict__["keys"] = value

    FakeBucket.keys = property(get_keys, set_keys)  # type: ignore[assignment]

    def listed(
        bucket: Any, prefix: str | None, after: str | None, limit: int | None, call: Callable[[], Any]
    ) -> Any:
        """Run a listing with its page pushed down to the bucket's rows (see ``key_store``)."""
        keys = bucket.__dict__.get("keys")
        if not isinstance(keys, DiskKeys) or listing.keys is not None:  # the outer listing decides
            return call()
        listing.keys, listing.prefix, listing.after, listing.limit = keys, prefix or "", after, limit
        try:
            return call()
        finally:
            listing.keys, listing.prefix, listing.after, listing.limit = None, "", None, None

    list_objects = _lookup(LIST_OBJECTS)

    def list_objects_hook(
        self: Any, bucket: Any, prefix: Any, delimiter: Any, marker: Any, max_keys: Any
    ) -> Any:
        after = (self._pagination_tokens.get(marker) or marker) if marker else None
        # One more than the page: moto tells a truncated page by it. Folders collapse many keys.
        limit = max_keys + 1 if max_keys is not None and not delimiter else None
        return listed(
            bucket,
            prefix,
            after,
            limit,
            lambda: list_objects(self, bucket, prefix, delimiter, marker, max_keys),
        )

    _replace(S3Backend, "list_objects", LIST_OBJECTS.qualified, list_objects_hook)

    list_objects_v2 = _lookup(LIST_OBJECTS_V2)

    def list_objects_v2_hook(
        self: Any,
        bucket: Any,
        prefix: Any,
        delimiter: Any,
        continuation_token: Any,
        start_after: Any,
        max_keys: Any,
    ) -> Any:
        after = self._pagination_tokens.get(continuation_token) if continuation_token else start_after
        limit = max_keys + 1 if max_keys is not None and not delimiter else None
        return listed(
            bucket,
            prefix,
            after or None,
            limit,
            lambda: list_objects_v2(
                self, bucket, prefix, delimiter, continuation_token, start_after, max_keys
            ),
        )

    _replace(S3Backend, "list_objects_v2", LIST_OBJECTS_V2.qualified, list_objects_v2_hook)

    put_object_tagging = _lookup(PUT_OBJECT_TAGGING)

    def put_object_tagging_hook(self: Any, key: Any, tags: Any) -> Any:
        # PutObject tags every key, with no tags too: an empty entry per object (~250 bytes) in the
        # backend's tag dict for the object's life. Without it the tags read back the same (none).
        result = put_object_tagging(self, key, tags)
        if not tags and not self.tagger.tags.get(key.arn, True):
            self.tagger.tags.pop(key.arn, None)
        return result

    _replace(S3Backend, "put_object_tagging", PUT_OBJECT_TAGGING.qualified, put_object_tagging_hook)

    reset = _lookup(S3_RESET)

    def reset_hook(self: Any) -> None:
        # moto's reset disposes every key it can reach, deleting its body: a kept index's objects
        # are the next run's, so its buckets and its cache let go of them first; a bucket of a
        # file emptied at every start drops its rows.
        for bucket in list(self.buckets.values()):
            keys = bucket.__dict__.get("keys")
            if isinstance(keys, DiskKeys):
                if keys.store.keep:
                    keys.store.release()
                else:
                    keys.clear()
                bucket.__dict__["keys"] = {}
        reset(self)

    _replace(S3Backend, "reset", S3_RESET.qualified, reset_hook)


# ---------------------------------------------------------------- moto's list of every model instance
# moto's BaseModel appends every instance of every model it ever creates to its class's
# ``instances_tracked`` list, read only by the moto-api dashboard and the S3 reset, and emptied only
# by a reset. For a long-running emulator that is every DynamoDB item ever written or returned (each
# query and scan result is a deep copy), every S3 key ever put (and its body file), every Kinesis
# record, SQS message, metric data point and workflow execution, alive for as long as the process:
# the records the retention sweep trimmed and the executions the log group took were never freed.
MODEL_NEW = Symbol("moto.core.common_models", "BaseModel.__new__", ("cls", "args", "kwargs"))
UNTRACKED_SYMBOLS = (
    MODEL_NEW,
    Symbol("moto.core.base_backend", "InstanceTrackerMeta", None),
    Symbol("moto.core.model_instances", "reset_model_data", ()),
)


class WeakInstances:
    """What ``instances_tracked`` is for moto's readers (append, iterate, len), holding weakly."""

    __slots__ = ("_refs", "_since_prune")

    def __init__(self) -> None:
        self._refs: list[Any] = []
        self._since_prune = 0

    def append(self, instance: Any) -> None:
        import weakref

        try:
            self._refs.append(weakref.ref(instance))
        except TypeError:  # a model that cannot be weakly referenced is not tracked
            return
        self._since_prune += 1
        if self._since_prune > max(1024, len(self._refs) // 2):  # amortised: the list stays ~live size
            self._refs = [ref for ref in self._refs if ref() is not None]
            self._since_prune = 0

    def __iter__(self) -> Any:
        return iter([instance for instance in (ref() for ref in self._refs) if instance is not None])

    def __len__(self) -> int:
        return sum(1 for ref in self._refs if ref() is not None)

    def clear(self) -> None:
        self._refs.clear()


def untracked_models_mismatch(version: str, lookup: Callable[[Symbol], Any] = _lookup) -> str | None:
    return _check_symbols(version, UNTRACKED_SYMBOLS, lookup)


_models_untracked = False


def install_untracked_models() -> None:
    """Check moto, then make every model's ``instances_tracked`` hold its instances weakly: an
    object lives as long as the emulator's state refers to it, not as long as the process."""
    global _models_untracked
    import moto

    problem = untracked_models_mismatch(moto.__version__)
    if problem:
        raise UserError(problem)
    if _models_untracked:
        return
    from moto.core.common_models import BaseModel

    def new(cls: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super(BaseModel, cls).__new__(cls)
        tracked = cls.__dict__.get("instances_tracked")
        if type(tracked) is list:  # the class's first instance, or moto's reset put a new list
            tracked = WeakInstances()
            cls.instances_tracked = tracked
        if tracked is not None:
            tracked.append(instance)
        return instance

    _replace(BaseModel, "__new__", MODEL_NEW.qualified, staticmethod(new))
    _models_untracked = True


# ---------------------------------------------------------------- the end of every execution
# ``execution_logs`` writes an ended execution's history to its log group and makes the emulator
# forget it; it hears of the end through moto's ``BaseExecutionWorkerCommunication.terminated``,
# which every execution calls once, after its status, output and stop date are set.
EXECUTION_TERMINATED = Symbol(
    f"{_SFN}.backend.execution", "BaseExecutionWorkerCommunication.terminated", ("self",)
)
EXECUTION_END_SYMBOLS = (
    EXECUTION_TERMINATED,
    Symbol(f"{_SFN}.utils", "TMP_THREADS", None),  # trimmed to the live threads at each end
)


def execution_end_mismatch(version: str, lookup: Callable[[Symbol], Any] = _lookup) -> str | None:
    return _check_symbols(version, EXECUTION_END_SYMBOLS, lookup)


_execution_ended: Callable[[Any], None] | None = None


def install_execution_end(ended: Callable[[Any], None] | None) -> None:
    """Check moto, then call ``ended(execution)`` as each Step Functions execution ends (None: stop)."""
    global _execution_ended
    import moto

    problem = execution_end_mismatch(moto.__version__)
    if problem:
        raise UserError(problem)
    _execution_ended = ended
    if EXECUTION_TERMINATED.qualified in _originals:
        return
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self: Any) -> None:
        original(self)  # sets the status, output, error and stop date first
        if _execution_ended is not None:
            _execution_ended(self.execution)

    _replace(BaseExecutionWorkerCommunication, "terminated", EXECUTION_TERMINATED.qualified, terminated)


_updates_atomic = False


def _atomic_updates() -> None:
    """An UpdateItem that fails leaves the item as it was, as DynamoDB's does.

    moto applies an update expression's actions to the stored item one by one; when a later action
    fails (``ADD`` to an attribute of another type), the earlier ``SET``s stay. EnrollFace's "Record the
    person" would then show the person ``enrolled`` until its Catch records ``failed``, which no
    reader of the real table can ever see.
    """
    from moto.dynamodb.models import DynamoDBBackend

    global _updates_atomic
    if _updates_atomic:
        return
    _updates_atomic = True
    original = DynamoDBBackend.update_item  # the item store's locked write, when it came first

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
