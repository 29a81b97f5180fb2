"""A local, Rekognition-compatible vision service over HTTP (AWS JSON 1.1 protocol).

Point an unmodified boto3 client at it::

    boto3.client("rekognition", endpoint_url="http://127.0.0.1:PORT", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")

Requests are ``POST /`` with ``X-Amz-Target: RekognitionService.<Operation>`` and a JSON body;
signatures are not checked. Operations: DetectLabels, DetectFaces, CreateCollection,
DeleteCollection, ListCollections, DescribeCollection, IndexFaces, ListFaces, DeleteFaces,
SearchFacesByImage, SearchFaces. ``Image`` is ``Bytes`` (base64) or ``S3Object``, read through
``framewatch.aws.clients.client("s3")`` (so ``AWS_ENDPOINT_URL_S3`` picks LocalStack or moto).
Errors are HTTP 400 ``{"__type": "<Name>", "message": ...}``, which botocore raises as
``client.exceptions.<Name>``.

How it differs from AWS, on purpose:

- Labels come from a COCO detector (80 classes, mapped to Rekognition names and parents by
  ``framewatch.vision.labels``); Confidence is the detector score rescaled so the detector's own
  floor reads 55, Rekognition's default ``MinConfidence`` (see ``objects.confidence``).
- Face Similarity is SFace's cosine mapped so its same-person threshold reads 80, AWS's default
  ``FaceMatchThreshold`` (see ``faces.similarity``).
- ``--max-concurrency N``: a request arriving while N Rekognition calls run fails at once with
  ``ProvisionedThroughputExceededException``, as an over-limit AWS account does.
- Model calls run at most ``--model-slots`` at once (default: one per core); the rest wait, so
  the memory of per-call model buffers is bounded by the slots, not by the number of callers.

Admin endpoints (not part of Rekognition; for tests of retry and catch paths):

- ``POST /_framewatch/faults`` with ``{"throttle_next": N}``: the next N Rekognition calls fail
  with ``ProvisionedThroughputExceededException``. Answers ``{"throttle_next": N}``; ``N = 0``
  clears it. Note that boto3 retries throttling by itself (3 attempts in ``standard`` mode, 5 in
  ``framewatch.aws.clients``), so a single call only fails when N covers all its attempts.
- ``GET /_framewatch/health``: ``200 {"status": "ok"}`` once the models are loaded.

Collections live in ``<data-dir>/collections.sqlite3`` and survive restarts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from framewatch.vision.errors import (
    InternalServerError,
    InvalidParameterException,
    ProvisionedThroughputExceededException,
    RekognitionError,
)
from framewatch.vision.protocol import RekognitionService, RequestContext

log = logging.getLogger("framewatch.vision")

TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_BODY = 32 * 1024 * 1024  # a 15 MB image is ~20 MB of base64; anything past this is abuse
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


@dataclass
class Limits:
    """Throttling state shared by all request threads."""

    max_concurrency: int | None = None
    throttle_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: int = 0

    def enter(self) -> None:
        with self.lock:
            if self.throttle_next > 0:
                self.throttle_next -= 1
                raise ProvisionedThroughputExceededException(
                    "Provisioned rate exceeded (injected by /_framewatch/faults)"
                )
            if self.max_concurrency is not None and self.running >= self.max_concurrency:
                raise ProvisionedThroughputExceededException(
                    f"Provisioned rate exceeded: more than {self.max_concurrency} concurrent calls"
                )
            self.running += 1

    def leave(self) -> None:
        with self.lock:
            self.running -= 1


class VisionServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: RekognitionService, limits: Limits) -> None:
        super().__init__(address, VisionRequestHandler)
        self.service = service
        self.limits = limits
        # Calls per operation since start: what Rekognition would bill (the cost model reads them).
        self.calls: Counter[str] = Counter()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End kept-alive connections too, so a stopped server answers nobody."""
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"


class VisionRequestHandler(BaseHTTPRequestHandler):
    server: VisionServer
    protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses connections
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK and every call costs 40 ms more.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, document: dict[str, Any], error_type: str | None = None) -> None:
        body = json.dumps(document, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(body)

    def _fail(self, error: RekognitionError) -> None:
        self._send(error.status, error.body(), error.type_name)

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True  # the unread body would poison a kept-alive connection
            from framewatch.vision.errors import ImageTooLargeException

            raise ImageTooLargeException("Request body is too large")
        raw = self.rfile.read(length) if length else b"{}"
        try:
            return json.loads(raw or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidParameterException(f"Request body is not JSON: {exc}") from None

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/_framewatch/health":
            self._send(200, {"status": "ok"})
        elif self.path.rstrip("/") == "/_framewatch/calls":
            with self.server.limits.lock:
                self._send(200, dict(self.server.calls))
        else:
            self._send(404, {"__type": "UnknownOperationException", "message": "not found"})

    def do_POST(self) -> None:
        try:
            if self.path.rstrip("/") == "/_framewatch/faults":
                self._faults()
            elif self.path.split("?")[0] == "/":
                self._rekognition()
            else:
                self._send(404, {"__type": "UnknownOperationException", "message": "not found"})
        except RekognitionError as error:
            self._fail(error)
        except Exception:
            log.exception("unhandled error in %s", self.headers.get("X-Amz-Target"))
            self._fail(InternalServerError("Internal server error"))

    def _faults(self) -> None:
        document = self._read_json()
        count = document.get("throttle_next") if isinstance(document, dict) else None
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidParameterException('faults body must be {"throttle_next": N}, N >= 0')
        with self.server.limits.lock:
            self.server.limits.throttle_next = count
        self._send(200, {"throttle_next": count})

    def _rekognition(self) -> None:
        params = self._read_json()  # first, so an early error leaves no body on the socket
        target = self.headers.get("X-Amz-Target", "")
        if not target.startswith(TARGET_PREFIX):
            raise InvalidParameterException(f"X-Amz-Target must be {TARGET_PREFIX}<Operation>")
        if not isinstance(params, dict):
            raise InvalidParameterException("Request body must be a JSON object")
        region = _REGION.search(self.headers.get("Authorization", ""))
        context = RequestContext(region.group(1) if region else "us-east-1")
        limits = self.server.limits
        with limits.lock:
            self.server.calls[target[len(TARGET_PREFIX) :]] += 1
        limits.enter()
        try:
            result = self.server.service.call(target[len(TARGET_PREFIX) :], params, context)
        finally:
            limits.leave()
        self._send(200, result)


def build_service(
    data_dir: str | Path,
    labels_model: str | Path | None = None,
    threads: int = 2,
    model_slots: int | None = None,
) -> RekognitionService:
    """Load the models and open the store (the slow part of starting up)."""
    from framewatch.vision.collections import FaceStore
    from framewatch.vision.detectors import load_detector
    from framewatch.vision.faces import FaceEngine
    from framewatch.vision.protocol import default_model_slots

    return RekognitionService(
        FaceStore(data_dir),
        FaceEngine(),
        load_detector(labels_model, threads),
        model_slots or default_model_slots(threads),
    )


def make_server(
    host: str,
    port: int,
    data_dir: str | Path,
    labels_model: str | Path | None = None,
    max_concurrency: int | None = None,
    service: RekognitionService | None = None,
) -> VisionServer:
    service = service or build_service(data_dir, labels_model)
    return VisionServer((host, port), service, Limits(max_concurrency=max_concurrency))


@dataclass
class ServerHandle:
    """A service running on a background thread; ``stop()`` closes its socket."""

    server: VisionServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def service(self) -> RekognitionService:
        return self.server.service

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.close_connections()
        self.thread.join(timeout=10)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    data_dir: str | Path = "var/vision",
    labels_model: str | Path | None = None,
    max_concurrency: int | None = None,
    service: RekognitionService | None = None,
) -> ServerHandle:
    """Start the service on a daemon thread; pass ``service`` to reuse already-loaded models."""
    server = make_server(host, port, data_dir, labels_model, max_concurrency, service)
    thread = threading.Thread(target=server.serve_forever, name="vision-server", daemon=True)
    thread.start()
    return ServerHandle(server, thread)
