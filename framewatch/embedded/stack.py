"""Starts and stops the whole embedded stack: emulator, vision service, template, pipe, rules."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framewatch.aws import clients, logs
from framewatch.embedded import (
    emulator_storage,
    execution_logs,
    item_store,
    key_store,
    lambda_runtime,
    moto_hooks,
    retention,
    rules,
    schedules,
    snapshot,
    stream_store,
)
from framewatch.embedded.deployer import Deployed, Deployer
from framewatch.embedded.pipe import LocalPipe
from framewatch.embedded.template import REPO_ROOT, TEMPLATE, translate
from framewatch.errors import UserError
from framewatch.workflows.validate import check_template_workflows

DEFAULT_WATCHLIST = REPO_ROOT / "config" / "watchlist.yaml"
ALERT_SINK_QUEUE = "framewatch-local-alert-sink"
ALERT_SINK_RETENTION_S = 300
CAMERAS_PATH = "/api/local/cameras"  # what `up --cameras` runs; not part of the frames API on AWS

# The emulator's fake account; boto3 only needs something to sign with.
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "framewatch-local",
    "AWS_SECRET_ACCESS_KEY": "framewatch-local",
}
# What the Lambda service would provide or what makes no sense offline (no X-Ray daemon here).
_RUNTIME_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
}
WATCHLIST_KEY_VARIABLE = "WATCHLIST_KEY"  # where the function that reads the watch list looks for it


@dataclass
class StackOptions:
    data_dir: Path
    stack_name: str = "framewatch"
    region: str = "us-east-1"
    watchlist: Path = DEFAULT_WATCHLIST
    template: Path = TEMPLATE  # another SAM template (and its statemachines/) to run instead
    parameters: dict[str, Any] = field(default_factory=dict)
    vision_args: list[str] = field(default_factory=list)
    serve_ui: bool = True
    # Seconds between snapshots of tables and objects into data_dir; None keeps nothing (tests, demo).
    snapshot_interval: float | None = None
    ui_host: str = "127.0.0.1"
    ui_port: int = 0
    # Seconds between passes that expire what the template's lifecycle rules, TTL and retention say;
    # None runs no pass on its own (``stack.retention.sweep()`` still does one).
    retention_interval: float | None = None
    # Apply saved edits of the ASL files and the watch list while running (`up`); lines go to ``notify``.
    watch: bool = False
    notify: Callable[[str], None] | None = None
    # Seconds an ended, logged execution stays readable through the Step Functions API (then only
    # its log group has it, as on AWS).
    execution_grace: float = execution_logs.RETAIN_SECONDS


def _read_watchlist(path: Path) -> str:
    """The watch list's text, or a one-line UserError naming the file and the field that is wrong."""
    from framewatch.core.watchlist import WatchListError, load_watchlist

    try:
        text = path.read_text()
    except OSError as exc:
        raise UserError(f"cannot read watch list {path}: {exc.strerror}") from exc
    try:
        load_watchlist(text, str(path))
    except WatchListError as exc:
        raise UserError(f"invalid watch list {exc}") from exc
    return text


def _environment_changed() -> None:
    """The stack's own clients (deployer, pipe, snapshots) follow the emulator's endpoint: a stack
    started after another one in the same process must not keep the first one's."""
    clients.reset()


def _free_port(host: str, wanted: int = 0) -> int:
    """``wanted`` if it is free (0: any free port); a taken port fails now, before anything starts."""
    with socket.socket() as probe:
        try:
            probe.bind((host, wanted))
        except OSError as exc:
            raise UserError(
                f"cannot serve the web UI on {host}:{wanted} ({exc.strerror}); "
                "pass --ui-port with a free port, or 0 for any"
            ) from exc
        return int(probe.getsockname()[1])


def _end_with_parent() -> None:
    """In the vision service's process: Linux ends it when `up` goes, however `up` goes (a second
    Ctrl+C, SIGKILL, a crash), so no orphan keeps its port and 700 MB."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        # This start's parameters: the caller's, plus what only this start knows (ports, endpoints). The
        # options are left untouched, so starting again from them does not reuse a stopped stack's ports.
        self.parameters: dict[str, Any] = dict(options.parameters)
        self.data_dir = options.data_dir
        # Each function in its own worker processes, printing to one log file per function (as
        # CloudWatch Logs keeps them).
        self.runtime = lambda_runtime.LocalLambdaRuntime(log_dir=options.data_dir / "logs")
        self.router = rules.RuleRouter()
        self.deployed: Deployed | None = None
        self.pipes: list[LocalPipe] = []
        self.moto_url = ""
        self.vision_url = ""
        self.ui: Any = None
        self.ui_port = 0
        self.snapshotter: snapshot.Snapshotter | None = None
        self.retention: retention.RetentionSweeper | None = None
        self.schedules: schedules.Scheduler | None = None
        self.live_reload: Any = None
        # Per-camera figures of the cameras `up --cameras` runs (the web UI's live page shows them).
        self.camera_report: Callable[[], list[dict[str, Any]]] | None = None
        self.restored: dict[str, int] = {}
        self.restore_seconds = 0.0
        self.objects_restore_seconds = 0.0
        self.objects_restore: threading.Thread | None = None
        # Ended executions' history, as the workflow's log group would hold it (then forgotten).
        self.execution_logs = execution_logs.ExecutionLogs(
            options.data_dir / "log-groups", retain_seconds=options.execution_grace
        )
        self._moto: Any = None
        self.item_store: item_store.ItemStore | None = None
        self.key_store: key_store.KeyStore | None = None
        self.stream_store: stream_store.StreamStore | None = None
        self._vision: subprocess.Popen[str] | None = None
        self._saved_env: dict[str, str | None] = {}

    # ------------------------------------------------------------------ start
    def start(self) -> EmbeddedStack:
        _read_watchlist(self.options.watchlist)  # an invalid file stops here: nothing started or written
        check_template_workflows(self.options.template)  # ASL that AWS would refuse stops here too
        if self.options.serve_ui:
            # A taken port fails here too; and the bucket's CORS rule must name the UI's origin
            # before the UI exists.
            self.ui_port = _free_port(self.options.ui_host, self.options.ui_port)
            ui_origin = f"http://{self.options.ui_host}:{self.ui_port}"
            self.parameters.setdefault("AllowedOrigin", ui_origin)
            self.parameters.setdefault("UiBaseUrl", ui_origin)  # alerts link to the incident there
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_emulator()
            self._start_vision()
            self._deploy()
            if self.options.snapshot_interval:
                self._restore_and_keep_snapshots(self.options.snapshot_interval)
            self._start_pipes()
            self._start_retention()
            self._start_schedules()
            if self.options.watch:
                self._start_live_reload()
            if self.options.serve_ui:
                self._start_ui()
        except BaseException:
            self.stop()
            raise
        return self

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        _environment_changed()

    def _start_emulator(self) -> None:
        from moto.server import ThreadedMotoServer

        for noisy in ("werkzeug", "moto", "botocore.credentials"):
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
        # With snapshots on (`up`) the object index, the bodies and the item file outlive the
        # process: they are the bucket's and the tables' snapshot.
        keep = bool(self.options.snapshot_interval)
        folder = self.data_dir / ("snapshot" if keep else "emulator")
        # Object bodies and stream records on disk, not in this process (bounded by retention).
        emulator_storage.install(self.data_dir / "emulator", kept_bodies=folder / "s3" if keep else None)
        # The object index and DynamoDB items in SQLite beside them (a week would not fit in memory).
        self.key_store = key_store.KeyStore(folder / "s3.sqlite3", keep=keep)
        moto_hooks.install_key_store(self.key_store)
        self.item_store = item_store.ItemStore(folder / "dynamodb.sqlite3", keep=keep)
        moto_hooks.install_item_store(self.item_store)
        # Kinesis records past the newest few likewise (24 h of them would not either).
        self.stream_store = stream_store.StreamStore(
            self.data_dir / "emulator" / "kinesis" / "records.sqlite3"
        )
        moto_hooks.install_stream_store(self.stream_store)
        # moto's list of every model instance it ever created holds them weakly (see moto_hooks).
        moto_hooks.install_untracked_models()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        self._set_env(
            {
                **_FAKE_CREDENTIALS,
                "AWS_DEFAULT_REGION": self.options.region,
                "AWS_REGION": self.options.region,
                "AWS_ENDPOINT_URL": self.moto_url,
                # moto's Step Functions interpreter calls other services on localhost:$MOTO_PORT.
                "MOTO_PORT": str(port),
            }
        )
        import requests

        # The emulator's state lives in this process; a stack started earlier here must not leak in.
        requests.post(f"{self.moto_url}/moto-api/reset", timeout=10).raise_for_status()
        requests.post(
            f"{self.moto_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()
        # Workflow history is read from the log group's files, as it is read from CloudWatch Logs on AWS.
        self._set_env({logs.LOG_DIR_ENV: str(self.execution_logs.root)})
        # What every function's workers get besides the template's variables: the emulator as the
        # endpoint, its credentials and region, where the log groups are.
        self.runtime.environment = {
            **_FAKE_CREDENTIALS,
            **_RUNTIME_ENV,
            "AWS_DEFAULT_REGION": self.options.region,
            "AWS_REGION": self.options.region,
            "AWS_ENDPOINT_URL": self.moto_url,
            logs.LOG_DIR_ENV: str(self.execution_logs.root),
        }
        execution_logs.install(self.execution_logs)
        moto_hooks.install(self.runtime, self.router)

    def _start_vision(self) -> None:
        env = {**os.environ, "AWS_ENDPOINT_URL_S3": self.moto_url, "PYTHONUNBUFFERED": "1"}
        # One thread per call: the workflow sends several frames at once, and on a small machine
        # concurrent single-threaded calls give ~1.5x the throughput of contending 2-thread ones.
        command = [
            sys.executable,
            "-m",
            "framewatch.cli",
            "vision",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir / "vision"),
            "--threads",
            "1",
            *self.options.vision_args,
        ]
        self._vision = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            preexec_fn=_end_with_parent,
        )
        deadline = time.monotonic() + 120
        assert self._vision.stdout is not None
        while time.monotonic() < deadline:
            line = self._vision.stdout.readline()
            if not line:
                error = self._vision.stderr.read() if self._vision.stderr else ""
                raise UserError(f"the local vision service did not start: {error.strip()[-400:]}")
            if line.startswith("listening on "):
                self.vision_url = line.split("listening on ", 1)[1].strip()
                break
        else:
            raise UserError("the local vision service did not start within 120 s")
        # Keep draining its output so a chatty service never blocks on a full pipe; errors go to a log.
        threading.Thread(target=self._vision.stdout.read, daemon=True).start()
        threading.Thread(target=self._drain_vision_errors, daemon=True).start()
        self._set_env({"AWS_ENDPOINT_URL_REKOGNITION": self.vision_url})

    def _drain_vision_errors(self) -> None:
        assert self._vision is not None and self._vision.stderr is not None
        with (self.data_dir / "vision.log").open("a") as log:
            for line in self._vision.stderr:
                log.write(line)
                log.flush()

    def _deploy(self) -> None:
        # The template points the functions at the vision service, as on LocalStack.
        self.parameters.setdefault("RekognitionEndpoint", self.vision_url)
        template = translate(self.options.template, region=self.options.region, parameters=self.parameters)
        deployed = Deployer(template, self.options.stack_name, self.options.region, self.parameters).deploy()
        # Each function's workers get that function's variables, as deployed; none leak into this
        # process or into another function.
        for name, props in deployed.functions.items():
            self.runtime.register(name, props)
        self.deployed = deployed
        self.runtime.warm()  # one worker per function; a handler that cannot load stops the start here
        self.upload_watchlist(self.options.watchlist)
        self._subscribe_alert_sink()

    def upload_watchlist(self, path: Path) -> None:
        from framewatch.aws import s3

        text = _read_watchlist(path)  # fail here, at start, not on the first frame
        for name in self._watchlist_readers():
            key = self.runtime.spec(name).environment[WATCHLIST_KEY_VARIABLE]
            s3.put_object(self.media_bucket, key, text.encode(), "application/yaml")

    def _watchlist_readers(self) -> list[str]:
        """The functions the template tells where the watch list is (the evaluate function)."""
        return sorted(
            name
            for name in self.runtime.functions
            if WATCHLIST_KEY_VARIABLE in self.runtime.spec(name).environment
        )

    def _subscribe_alert_sink(self) -> None:
        """Alerts go to SNS exactly as on AWS; locally a queue subscribed to the topic keeps them."""
        sqs, sns = clients.client("sqs"), clients.client("sns")
        # Nothing of `up` reads it (the UI and CLI read the alerts table); tests and the bench read it
        # within seconds. Kept 5 minutes, not a subscriber's day: each message costs about 6 KB of
        # the emulator's memory (a day of a looped camera's alerts was about 270 MB), and messages
        # that outlive the frames around them leave holes in the heap that it does not give back.
        url = sqs.create_queue(
            QueueName=ALERT_SINK_QUEUE, Attributes={"MessageRetentionPeriod": str(ALERT_SINK_RETENTION_S)}
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=self.resource("AlertTopic"),
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "false"},
        )
        self.alert_sink_url = url

    def _restore_and_keep_snapshots(self, interval: float) -> None:
        assert self.deployed
        folder = self.data_dir / "snapshot"
        tables = {logical: self.resource(logical) for logical in snapshot.TABLES}
        rules = list(self.deployed.by_type("AWS::Events::Rule").values())
        started = time.monotonic()
        self.restored = snapshot.restore(folder, tables, self.options.region)
        self.restore_seconds = time.monotonic() - started
        self.snapshotter = snapshot.Snapshotter(
            folder, tables, self.media_bucket, interval, self.options.region
        )
        self.snapshotter.objects_ready.clear()  # images come back in the background, newest first

        def restore_objects() -> None:
            try:
                count = snapshot.restore_objects(folder, self.media_bucket, rules, self.options.region)
                self.restored["objects"] = count
                self.objects_restore_seconds = time.monotonic() - started
            finally:
                assert self.snapshotter is not None
                self.snapshotter.objects_ready.set()

        self.objects_restore = threading.Thread(target=restore_objects, name="restore-objects", daemon=True)
        self.objects_restore.start()
        self.snapshotter.start()

    def _start_retention(self) -> None:
        assert self.deployed
        groups = {
            str(group["logGroupName"]): int(group["retentionInDays"])
            for group in clients.client("logs").describe_log_groups().get("logGroups", [])
            if group.get("retentionInDays")
        }
        self.retention = retention.RetentionSweeper(
            bucket=self.media_bucket,
            tables=list(self.deployed.by_type("AWS::DynamoDB::Table").values()),
            stream=self.stream_name,
            log_root=self.execution_logs.root,
            log_groups=groups,
            sink_queue_url=self.alert_sink_url,
            region=self.options.region,
            interval=self.options.retention_interval or retention.SWEEP_SECONDS,
        )
        if self.options.retention_interval:
            self.retention.start()

    def _start_schedules(self) -> None:
        assert self.deployed
        self.schedules = schedules.Scheduler(self.deployed.schedules, self.options.region)
        self.schedules.start()

    def _start_live_reload(self) -> None:
        from framewatch.embedded.live_reload import LiveReload, workflow_applier
        from framewatch.embedded.template import load_sam

        assert self.deployed
        self.live_reload = LiveReload(self.options.notify or (lambda line: None))
        root = self.options.template.parent
        for logical, resource in load_sam(self.options.template).get("Resources", {}).items():
            uri = resource.get("Properties", {}).get("DefinitionUri")
            if resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(uri, str):
                arn = self.resource(logical)
                substitutions = self.deployed.substitutions.get(logical, {})
                self.live_reload.watch(root / uri, workflow_applier(arn, root / uri, substitutions))
        self.live_reload.watch(self.options.watchlist, self._apply_watchlist)
        by_file: dict[Path, list[str]] = {}
        for name in sorted(self.runtime.functions):
            spec = self.runtime.spec(name)
            module = spec.handler.rpartition(".")[0].replace(".", "/")
            by_file.setdefault(spec.code_dir / f"{module}.py", []).append(name)
        for path, names in by_file.items():
            self.live_reload.watch(path, self._handler_applier(path, names))
        self.live_reload.start()

    def _handler_applier(self, path: Path, names: list[str]) -> Callable[[str], str]:
        """A saved handler file is a new deployment of the functions that run it: their workers end
        and the next invocations cold-start the new code (an edit that does not import fails them)."""

        def apply(text: str) -> str:
            for name in names:
                self.runtime.recycle(name)
            return f"applied {path}: the next invocations of {', '.join(names)} run the saved code"

        return apply

    def _apply_watchlist(self, text: str) -> str:
        try:
            self.upload_watchlist(self.options.watchlist)
        except UserError as exc:
            raise UserError(f"edit refused, the running watch list is kept: {exc}") from exc
        for name in self._watchlist_readers():
            # Its workers keep the list they read for a while, as on Lambda; new ones read it on the
            # next frame.
            self.runtime.recycle(name)
        return f"applied {self.options.watchlist}: the next frame is evaluated against it"

    def _start_pipes(self) -> None:
        assert self.deployed
        for stale in self.data_dir.glob("checkpoint-*.json"):
            stale.unlink()  # positions in the previous emulator's stream mean nothing in a new one
        for logical, props in self.deployed.pipes.items():
            pipe = LocalPipe(
                props["Name"], props, self.data_dir / f"checkpoint-{logical}.json", self.options.region
            )
            # The emulator says when an execution ends: no DescribeExecution poll every 50 ms.
            pipe.wait_for_end = self.execution_logs.wait_for_end
            # The enrichment function runs in this stack's Lambda runtime: called directly, as the
            # workflow's lambda:invoke tasks are (moto_hooks), with the same result and errors.
            pipe.invoke_function = lambda name, arn, event: self.runtime.invoke(name, arn, event)
            pipe.start()
            self.pipes.append(pipe)

    def _start_ui(self) -> None:
        from framewatch.api import local_server

        # Express history is in CloudWatch Logs on AWS (the template links the console); here it is in
        # the log group's local files, and the UI's own page shows it.
        self._set_env({"EXECUTION_URL_TEMPLATE": "/executions.html?arn={execution_arn}&since={captured_at}"})
        self.ui = local_server.serve_in_thread(
            host=self.options.ui_host, port=self.ui_port, handler=self._api_handler()
        )

    def _api_handler(self) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        """API Gateway's proxy integration: the frames API function, run by the Lambda runtime."""
        assert self.deployed
        name, arn = self.resource("FramesApiFunction"), self.deployed.attrs["FramesApiFunction"]["Arn"]

        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if event.get("path") == CAMERAS_PATH and event.get("httpMethod") == "GET":
                # Cameras run inside `up` only: the embedded stack answers this one path itself.
                return {
                    "statusCode": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": json.dumps({"cameras": self.camera_report() if self.camera_report else []}),
                }
            payload, errored = self.runtime.invoke(name, arn, event)
            if errored:
                raise RuntimeError(f"frames API function failed: {payload[:300]}")
            return dict(json.loads(payload))

        return invoke

    # ------------------------------------------------------------------ queries
    def resource(self, logical_id: str) -> str:
        assert self.deployed, "stack not started"
        return self.deployed.physical(logical_id)

    def objects_restored(self, timeout: float | None = None) -> bool:
        """Wait until the snapshot's objects are back in the bucket (they come back after start)."""
        if self.objects_restore is not None:
            self.objects_restore.join(timeout)
            return not self.objects_restore.is_alive()
        return True

    @property
    def media_bucket(self) -> str:
        return self.resource("MediaBucket")

    @property
    def stream_name(self) -> str:
        return self.resource("FramesStream")

    # ------------------------------------------------------------------ stop
    def stop(self, emit: Callable[[str], None] | None = None, drain_seconds: float = 30.0) -> None:
        """Stop everything; batches in flight get ``drain_seconds`` to finish, then the last snapshot
        is taken. ``emit`` hears what is going on (``framewatch up`` prints it)."""
        say = emit or (lambda line: None)
        if self.live_reload is not None:
            self.live_reload.stop_event.set()
        if self.retention is not None:
            self.retention.stop_event.set()  # a pass under way ends on its own; nothing to wait for
        if self.schedules is not None:
            self.schedules.stop()
        if self.pipes:
            in_flight = sum(pipe.in_flight for pipe in self.pipes)
            say(f"stopping: draining {in_flight} batch{'es' if in_flight != 1 else ''}…")
            started = time.monotonic()
            for pipe in self.pipes:
                if not pipe.stop(max(0.0, drain_seconds - (time.monotonic() - started))):
                    say("stopping: a batch did not finish in time; it is read again at the next start")
        if self.snapshotter is not None:
            say("stopping: saving the last snapshot…")
            self.snapshotter.stop(timeout=drain_seconds)
            if self.snapshotter.last_error:
                say(f"could not save the last snapshot: {self.snapshotter.last_error}")
            else:
                say(f"saved snapshot: {self.snapshotter.saved.get('FramesTable', 0)} frames")
        if self.ui is not None:
            self.ui.stop()
        if self._vision is not None and self._vision.poll() is None:
            self._vision.terminate()
            try:
                self._vision.wait(3)
            except subprocess.TimeoutExpired:
                self._vision.kill()
        self.runtime.stop()  # after the drain: no workflow is left to call a function
        if self._moto is not None:
            self._moto.stop()
        if self.item_store is not None:
            moto_hooks.install_item_store(None)  # tables created from now on keep items in memory
            self.item_store.close()
        if self.key_store is not None:
            moto_hooks.install_key_store(None)  # likewise buckets and their keys
            self.key_store.close()  # writes back the keys moto changed after it read them
        if self.stream_store is not None:
            moto_hooks.install_stream_store(None)
            self.stream_store.close()
        execution_logs.install(None)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _environment_changed()

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
