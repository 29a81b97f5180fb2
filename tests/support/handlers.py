"""Run functions/*/app.py handlers as Lambda would: the template deployed into moto in-process, each
handler loaded fresh (a cold start) with exactly the environment the template gives its function."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from framewatch.api.local_server import LambdaContext
from framewatch.aws import clients
from framewatch.embedded.deployer import Deployed, Deployer
from framewatch.embedded.template import local_path, translate
from framewatch.settings import PipelineSettings, forget_settings
from framewatch.vision.server import ServerHandle, serve_in_thread

EVENTS = Path(__file__).parents[1] / "events"
# Every variable any function reads: each handler starts with none of them but its own.
FRAMEWATCH_VARIABLES = {name.upper() for name in PipelineSettings.model_fields} | {
    "FRAMES_TABLE",
    "URL_EXPIRY_SECONDS",
    "EXECUTION_LOG_GROUP",
    "API_KEY",
}


def event(name: str) -> Any:
    """A sample event from tests/events/."""
    return json.loads((EVENTS / name).read_text())


@contextmanager
def deployed_stack(
    vision_dir: Path,
    stack_name: str,
    parameters: dict[str, Any] | None = None,
    vision_during_deploy_only: bool = False,
) -> Iterator[Deployed]:
    """The template deployed into moto, with framewatch's vision service as Rekognition.

    ``vision_during_deploy_only``: the vision service answers the deploy (the stack creates its face
    collection) and then stops, so a handler that calls Rekognition afterwards fails.
    """
    patch = pytest.MonkeyPatch()
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", *FRAMEWATCH_VARIABLES):
        patch.delenv(key, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    vision: ServerHandle | None = serve_in_thread("127.0.0.1", 0, vision_dir)
    patch.setenv("AWS_ENDPOINT_URL_REKOGNITION", vision.url)
    clients.reset()
    try:
        with mock_aws():
            stack = Deployer(translate(), stack_name, "us-east-1", parameters or {}).deploy()
            if vision_during_deploy_only:
                vision.stop()
                vision = None
                clients.reset()
            yield stack
    finally:
        if vision is not None:
            vision.stop()
        clients.reset()
        forget_settings()
        patch.undo()


def handler_invoker(stack: Deployed, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Any], Any]:
    """``call(logical_id, payload)``: the function's handler run once, as a cold Lambda would."""

    def call(logical_id: str, payload: Any) -> Any:
        [props] = [p for p in stack.functions.values() if p["LogicalId"] == logical_id]
        for key in FRAMEWATCH_VARIABLES:
            monkeypatch.delenv(key, raising=False)
        for key, value in props.get("Environment", {}).get("Variables", {}).items():
            monkeypatch.setenv(key, str(value))
        monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        forget_settings()  # a cold start
        module_name, _, handler_name = props["Handler"].rpartition(".")
        path = local_path(props["Code"]) / f"{module_name}.py"
        spec = importlib.util.spec_from_file_location(f"handler_{uuid.uuid4().hex}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)  # pydantic resolves annotations through it
        spec.loader.exec_module(module)
        context = LambdaContext(aws_request_id=str(uuid.uuid4()), function_name=props["FunctionName"])
        return getattr(module, handler_name)(payload, context)

    return call
