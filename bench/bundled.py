"""The bundled detector inside its Lambda handler vs bare inference (DetectorBackend bundled|cascade).

``python -m bench.bundled`` prints milliseconds per 640x480 frame (median of N calls):

- ``bundled_handler_ms_per_frame``: ``functions/bundled`` ``detect_objects`` called as Lambda calls
  it (event parsing, Powertools, the frame read from S3, decode, the in-process RekognitionService,
  labels shaped for the ASL), with S3 in-process moto so no network is timed;
- ``bundled_bare_ms_per_frame``: the same model on the same decoded frame, one thread as in Lambda
  (preprocess, inference, box decoding): what no handler can go below;
- ``bundled_cold_start_ms``: a new process importing the handler module and answering its first
  frame (the models load on first use), what a new Lambda execution environment adds once.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.vision import _frame, _jpeg, _paired_ms

ROOT = Path(__file__).resolve().parents[1]
HANDLER = ROOT / "functions" / "bundled" / "app.py"
EVENT = ROOT / "tests" / "events" / "detect_frame_ref.json"
BUCKET = "bench-media"


@contextmanager
def _lambda_like() -> Iterator[tuple[Callable[[], Any], float]]:
    """S3 in moto with one frame in it, the function's environment, a call of its handler, and the
    seconds its module took to import."""
    from moto import mock_aws

    from framewatch.api.local_server import LambdaContext
    from framewatch.aws import clients
    from framewatch.settings import forget_settings

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
        MEDIA_BUCKET=BUCKET, POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_SERVICE_NAME="bench",
        POWERTOOLS_METRICS_NAMESPACE="bench",
    )  # fmt: skip
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[key]
    clients.reset()
    forget_settings()
    event = json.loads(EVENT.read_text()) | {"bucket": BUCKET, "width": 640, "height": 480}
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=event["s3_key"], Body=_jpeg(_frame("bikes.mp4", 190)))
        spec = importlib.util.spec_from_file_location(f"bundled_{uuid.uuid4().hex}", HANDLER)
        assert spec is not None and spec.loader is not None
        started = time.perf_counter()
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        imported = time.perf_counter() - started
        context = LambdaContext(aws_request_id="bench", function_name="bundled-detect-objects")
        yield lambda: module.detect_objects(event, context), imported
    clients.reset()


def run() -> dict[str, float]:
    from framewatch.vision.detectors import load_detector

    pixels = _frame("bikes.mp4", 190)
    detector = load_detector(threads=1)  # as BundledVision loads it in Lambda
    with _lambda_like() as (handler, _):
        answer = handler()
        assert answer["labels"], "the bundled handler found nothing on a busy street frame"
        results = _paired_ms({
            "bundled_bare_ms_per_frame": lambda: detector.detect(pixels),
            "bundled_handler_ms_per_frame": handler,
        })  # fmt: skip
    results["bundled_handler_over_bare"] = (
        results["bundled_handler_ms_per_frame"] / results["bundled_bare_ms_per_frame"]
    )
    results["bundled_cold_start_ms"] = _cold_start_ms()
    return results


def _cold_start_ms() -> float:
    """A fresh interpreter: import the handler's module, then its first answer (models load then)."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.bundled", "--cold"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return float(result.stdout.strip().splitlines()[-1])


def _cold() -> None:
    # boto3 is imported already (moto needs it), as the Lambda runtime's own import of it is not
    # the function's; everything the handler module imports, and the models' load, is timed.
    with _lambda_like() as (handler, imported):
        started = time.perf_counter()
        handler()
        print(f"{(imported + time.perf_counter() - started) * 1000:.1f}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--cold"]:
        _cold()
    else:
        for name, value in run().items():
            print(f"{name:32s} {value:8.2f}")
