"""``framewatch vision serve``: run the local Rekognition-compatible service until a signal."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    vision = subparsers.add_parser("vision", help="the local Rekognition-compatible service")
    commands = vision.add_subparsers(dest="vision_command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the Rekognition JSON API (labels, faces, collections) over HTTP",
        description="Serve DetectLabels, DetectFaces, collections and face search on "
        "http://HOST:PORT for boto3's rekognition client (endpoint_url).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=4599, help="port; 0 picks a free one")
    serve.add_argument(
        "--data-dir", default="var/vision", help="where face collections are stored (default var/vision)"
    )
    serve.add_argument(
        "--labels-model",
        default=None,
        metavar="PATH",
        help="an Ultralytics YOLO ONNX export to use instead of bundled NanoDet",
    )
    serve.add_argument(
        "--max-concurrency",
        type=_positive,
        default=None,
        metavar="N",
        help="answer ProvisionedThroughputExceededException beyond N calls at once",
    )
    serve.add_argument(
        "--threads",
        type=_positive,
        default=2,
        help="threads per call for the models (onnxruntime and OpenCV; default 2). Under concurrent "
        "load 1 gives more frames per second: calls then run side by side instead of contending",
    )
    serve.add_argument(
        "--model-slots",
        type=_positive,
        default=None,
        metavar="N",
        help="model calls that run at once; more wait their turn (default: cores / --threads). "
        "Each slot holds its own model buffers, so this also bounds the service's memory",
    )
    serve.set_defaults(func=run_serve)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def run_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    import cv2

    from framewatch.errors import UserError
    from framewatch.vision.server import build_service, make_server

    cv2.setNumThreads(args.threads)
    service = build_service(args.data_dir, args.labels_model, args.threads, args.model_slots)
    try:
        server = make_server(
            args.host, args.port, args.data_dir, max_concurrency=args.max_concurrency, service=service
        )
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc

    def stop(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever, which runs on this thread: ask from another one.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
