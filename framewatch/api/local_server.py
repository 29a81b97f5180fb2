"""Local HTTP adapter: the web UI's static files plus the frames API, without API Gateway.

``/api/*`` becomes an API Gateway v1 proxy event handed to ``functions/frames_api/app.py``'s
``lambda_handler`` in-process (the same file SAM deploys), so routes, validation and errors are
exactly the deployed ones. Like API Gateway with ``ApiKeyRequired``, the adapter itself refuses
``/api/*`` (except ``/api/health``) without the right ``x-api-key``.

Configuration: the adapter's own arguments are fixed at start. The handler reads ``FRAMES_TABLE``,
``PEOPLE_TABLE``, ``ALERTS_TABLE``, ``INCIDENTS_TABLE``, ``MEDIA_BUCKET``, ``COLLECTION_ID``,
``URL_EXPIRY_SECONDS``, ``EXECUTION_URL_TEMPLATE``, ``AWS_REGION`` and the endpoints at each
request; ``ALLOWED_ORIGIN``
once, when the handler module is first loaded (at the first ``serve_in_thread`` of the process).
"""

from __future__ import annotations

import base64
import hmac
import importlib.util
import json
import logging
import mimetypes
import secrets
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
HANDLER_FILE = REPO_ROOT / "functions" / "frames_api" / "app.py"
WEBUI_DIR = REPO_ROOT / "webui"
MAX_BODY_BYTES = 1 << 20  # the API takes small JSON bodies; images go straight to S3
PUBLIC_API_PATHS = frozenset({"/api/health"})

log = logging.getLogger(__name__)

# The resolver keeps the current event on a module-level object, as in Lambda where one process
# serves one request at a time: API calls are serialised, static files are not.
_handler_lock = threading.Lock()
_modules: dict[Path, ModuleType] = {}

# Images come from S3 pre-signed URLs on another origin (AWS or the local endpoint).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http: "
    "https:; connect-src 'self' http: https:; media-src 'self' blob: mediastream:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def load_handler(path: Path = HANDLER_FILE) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """``lambda_handler`` from the deployed file, loaded once per process by file path."""
    with _handler_lock:
        module = _modules.get(path)
        if module is None:
            spec = importlib.util.spec_from_file_location("framewatch_frames_api_app", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load the frames API handler from {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _modules[path] = module
    return module.lambda_handler  # type: ignore[no-any-return]


@dataclass(frozen=True)
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    aws_request_id: str
    function_name: str = "frames-api-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:frames-api-local"
    log_group_name: str = "/aws/lambda/frames-api-local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def build_event(
    method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str, api_key: str | None
) -> dict[str, Any]:
    """An API Gateway REST proxy (v1) event, as a ``/{proxy+}`` resource would deliver it."""
    split = urllib.parse.urlsplit(raw_path)
    path = urllib.parse.unquote(split.path)
    query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    try:
        text: str | None = body.decode() if body else None
        is_b64 = False
    except UnicodeDecodeError:
        text, is_b64 = base64.b64encode(body).decode(), True
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": request_id,
            "apiId": "local",
            "accountId": "000000000000",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "apiKey": api_key, "userAgent": headers.get("user-agent")},
        },
        "body": text,
        "isBase64Encoded": is_b64,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api_key: str
    static_dir: Path
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "framewatch-local"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # --- plumbing -----------------------------------------------------------------------

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(
            status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "Cache-Control": "no-store"},
        )

    def _dispatch(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/api" or path.startswith("/api/"):
            self._api()
        elif self.command in ("GET", "HEAD"):
            self._static(path)
        else:
            self._send_json(405, {"message": "Method not allowed"})

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    # --- /api/* -------------------------------------------------------------------------

    def _api(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send_json(413, {"message": "Request body too large"})
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        given_key = headers.get("x-api-key") or ""
        # API Gateway's own check (preflight and health pass without a key).
        if (
            self.command != "OPTIONS"
            and path not in PUBLIC_API_PATHS
            and not hmac.compare_digest(given_key.encode(), self.server.api_key.encode())
        ):
            self._send_json(403, {"message": "Forbidden"})
            return
        event = build_event(self.command, self.path, headers, body, self.client_address[0], given_key or None)
        context = LambdaContext(aws_request_id=event["requestContext"]["requestId"])
        try:
            with _handler_lock:
                result = self.server.handler(event, context)
        except Exception:  # the handler maps its errors; this is a crash, as Lambda's 502
            log.exception("frames API handler crashed")
            self._send_json(502, {"message": "Internal server error"})
            return
        out_headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out_headers.setdefault(name, ", ".join(str(v) for v in values))
        out_headers.setdefault("Cache-Control", "no-store")
        raw = result.get("body") or ""
        data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        self._send(int(result.get("statusCode", 502)), data, out_headers)

    # --- static files -------------------------------------------------------------------

    def _static(self, path: str) -> None:
        common = {
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        if path == "/config.js":
            # Public, like config.js on CloudFront: the API's address only. The key reaches the page
            # in the URL fragment `framewatch up` prints (LocalApi.ui_url), never from a file.
            config = {"apiBase": "/api"}
            script = f"window.FRAMEWATCH = {json.dumps(config)};\n".encode()
            self._send(200, script, {**common, "Content-Type": "text/javascript; charset=utf-8"})
            return
        root = self.server.static_dir.resolve()
        relative = urllib.parse.unquote(path).lstrip("/") or "index.html"
        target = (root / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(root) or not target.is_file():
            self._send(404, b"Not found\n", {**common, "Content-Type": "text/plain"})
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "text/javascript"):
            kind += "; charset=utf-8"
        self._send(200, target.read_bytes(), {**common, "Content-Type": kind, "Content-Security-Policy": CSP})


@dataclass
class LocalApi:
    """A running adapter: ``url`` to open, ``api_key`` the UI was handed, ``stop()`` to end it."""

    url: str
    api_key: str
    server: _Server
    thread: threading.Thread

    @property
    def ui_url(self) -> str:
        """The UI's address carrying the key in its fragment: the page stores it, no typing."""
        return f"{self.url}/#key={urllib.parse.quote(self.api_key, safe='')}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str | None = None,
    static_dir: Path | str = WEBUI_DIR,
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None,
) -> LocalApi:
    """Serve the UI and the API on a daemon thread; ``port=0`` picks a free port. ``handler`` replaces
    the in-process ``lambda_handler`` (the embedded stack passes its Lambda runtime's invoke)."""
    handler = handler or load_handler()
    server = _Server((host, port), _RequestHandler)
    server.api_key = api_key or secrets.token_urlsafe(24)
    server.static_dir = Path(static_dir)
    server.handler = handler
    thread = threading.Thread(target=server.serve_forever, name="framewatch-api", daemon=True)
    thread.start()
    shown_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    return LocalApi(
        url=f"http://{shown_host}:{server.server_address[1]}",
        api_key=server.api_key,
        server=server,
        thread=thread,
    )
