"""``framewatch capture``: flags → CaptureOptions → run_capture → summary.

No OpenCV import at module level: ``framewatch --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from framewatch.errors import UserError

CAMERA_FLAGS = ("every", "fps", "loop", "as_fast_as_possible", "max_frames")
MOTION_FLAGS = {
    "motion_threshold": "threshold",
    "min_area": "min_area",
    "keepalive": "keepalive_s",
    "ignore_region": "ignore",
}
PRODUCER_FLAGS = ("stream", "bucket", "max_record_bytes", "queue_size", "retry_deadline", "flush_timeout")
ENCODE_FLAGS = ("quality", "max_width")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "capture",
        help="capture frames from a camera, stream or file and put them on Kinesis",
        description="Read frames from a camera index, an http(s) MJPEG URL, an rtsp URL or a "
        "video file; sample and motion-gate them; put them on Kinesis as frame "
        "records. Prints `CAPTURE_SUMMARY {json}` as the last line on stdout.",
    )
    parser.add_argument(
        "source",
        nargs="?",
        metavar="SOURCE",
        help="camera index, http(s):// MJPEG URL, rtsp:// URL or video file",
    )
    parser.add_argument("--camera", metavar="ID", help="camera id (letters, digits, _ . -)")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="cameras.yaml / .json with several cameras (instead of SOURCE)",
    )
    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--every", type=int, metavar="N", help="keep every Nth frame")
    sampling.add_argument("--fps", type=float, metavar="F", help="keep at most F frames/s")
    sampling.add_argument("--loop", action="store_true", default=None, help="replay a video file forever")
    sampling.add_argument(
        "--as-fast-as-possible",
        action="store_true",
        default=None,
        help="read a video file without pacing it at its frame rate",
    )
    sampling.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames read")
    motion = parser.add_argument_group("motion gate")
    motion.add_argument("--no-motion", action="store_true", help="send every sampled frame")
    motion.add_argument(
        "--motion-threshold", type=float, metavar="T", help="background-model variance threshold (default 25)"
    )
    motion.add_argument(
        "--min-area",
        type=float,
        metavar="FRACTION",
        help="changed fraction of the frame that counts as motion (0.002)",
    )
    motion.add_argument(
        "--keepalive",
        type=float,
        metavar="SECONDS",
        help="send a frame at least this often even without motion (10)",
    )
    motion.add_argument(
        "--ignore-region",
        action="append",
        metavar="X,Y X,Y X,Y...",
        help="polygon (normalised 0-1 coordinates) whose motion is ignored; repeatable",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--stream", metavar="NAME", help="Kinesis stream (default $FRAMEWATCH_STREAM or framewatch-frames)"
    )
    output.add_argument(
        "--bucket", metavar="NAME", help="S3 bucket for claim-check images (default $FRAMEWATCH_BUCKET)"
    )
    output.add_argument(
        "--max-record-bytes",
        type=int,
        metavar="BYTES",
        help="bigger records go to S3 as claim-checks (default 1 MiB)",
    )
    output.add_argument("--quality", type=int, metavar="Q", help="JPEG quality 1-100 (80)")
    output.add_argument("--max-width", type=int, metavar="PX", help="scale frames down to (1280)")
    output.add_argument(
        "--queue-size",
        type=int,
        metavar="N",
        help="frames held while the stream is slow; oldest dropped (256)",
    )
    output.add_argument(
        "--retry-deadline", type=float, metavar="SECONDS", help="give up on a record after this long (30)"
    )
    output.add_argument(
        "--flush-timeout",
        type=float,
        metavar="SECONDS",
        help="time allowed to send what is queued at exit (15)",
    )
    output.add_argument(
        "--dry-run",
        type=Path,
        metavar="DIR",
        help="write DIR/<frame-id>.jpg and DIR/records.jsonl instead of sending",
    )
    output.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="find a running `framewatch up` through DIR/stack.json when no stream or endpoint is given "
        "(default var/framewatch)",
    )
    output.add_argument("--no-status", action="store_true", help="no live status line")
    output.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.set_defaults(func=run)


def _polygon(text: str) -> list[tuple[float, float]]:
    try:
        points = [tuple(float(v) for v in pair.split(",")) for pair in text.split()]
    except ValueError:
        points = []
    if len(points) < 3 or any(len(p) != 2 for p in points):
        raise UserError(
            f"--ignore-region {text!r}: give at least 3 points as 'x,y x,y x,y' with x and y between 0 and 1"
        )
    return [(p[0], p[1]) for p in points]


def options_from_args(args: argparse.Namespace) -> Any:
    """Merge the config file (if any) and explicit flags into validated CaptureOptions."""
    from capture.config import load_config_file, validate_options

    given = {name: value for name, value in vars(args).items() if value is not None}
    producer = {
        name.replace("retry_deadline", "retry_deadline_s").replace("flush_timeout", "flush_timeout_s"): given[
            name
        ]
        for name in PRODUCER_FLAGS
        if name in given
    }
    encode = {name: given[name] for name in ENCODE_FLAGS if name in given}
    camera_flags = {name: given[name] for name in CAMERA_FLAGS if name in given}
    motion = {field: given[flag] for flag, field in MOTION_FLAGS.items() if flag in given}
    if "ignore" in motion:
        motion["ignore"] = [_polygon(text) for text in motion["ignore"]]
    if args.no_motion:
        motion["enabled"] = False

    if args.config is not None:
        if args.source or args.camera or camera_flags or motion:
            raise UserError(
                "with --config, set SOURCE, --camera, sampling and motion options per "
                "camera in the file (output options such as --stream still apply)"
            )
        data = load_config_file(args.config)
        origin = f"config {args.config}"
    else:
        if not args.source:
            raise UserError("give a SOURCE (camera index, URL or video file) or --config FILE")
        if not args.camera:
            raise UserError("give --camera ID (letters, digits, _ . -) to name this camera")
        data = {"cameras": [{"id": args.camera, "source": args.source, **camera_flags, "motion": motion}]}
        origin = "option"
    for section, values in (("producer", producer), ("encode", encode)):
        if values:
            data[section] = {**(data.get(section) or {}), **values}
    if args.dry_run is not None:
        data["dry_run"] = args.dry_run
    if args.no_status:
        data["status"] = False
    return validate_options(data, origin)


class _StopOnSignal:
    """First Ctrl+C / SIGTERM: stop capturing and flush. Second: leave at once."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt
        print(
            "framewatch capture: stopping; sending what is queued (Ctrl+C again to quit now)", file=sys.stderr
        )
        self.stop.set()


def _configured_stream(args: argparse.Namespace) -> bool:
    """Whether the user named a stream or an endpoint (flag, environment or config file)."""
    if args.stream or os.environ.get("FRAMEWATCH_STREAM") or os.environ.get("AWS_ENDPOINT_URL"):
        return True
    if args.config is not None:
        from capture.config import load_config_file

        return bool((load_config_file(args.config).get("producer") or {}).get("stream"))
    return False


def _has_aws_credentials() -> bool:
    import boto3

    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # no minute-long wait off EC2
    return boto3.session.Session().get_credentials() is not None


def discover_local_stack(args: argparse.Namespace) -> None:
    """With no stream or endpoint given, send to the `framewatch up` running in --data-dir (its
    stack.json); with neither that nor AWS credentials, say so in one line."""
    if args.dry_run is not None or _configured_stream(args):
        return
    from capture import discovery

    data_dir = args.data_dir or discovery.DEFAULT_DATA_DIR
    found = discovery.find(data_dir)
    if found is None:
        if args.data_dir is not None or not _has_aws_credentials():
            raise UserError(
                f"no running local stack ({data_dir / discovery.FILE_NAME} missing or stale) and no AWS "
                "settings: start `framewatch up` (or pass --data-dir), or give --stream with AWS credentials"
            )
        return  # AWS: the default stream name of a deployed stack
    os.environ.update(discovery.environment(found))
    args.stream = found["stream"]
    args.bucket = args.bucket or found.get("bucket")
    print(f"framewatch capture: sending to the local stack at {found['endpoint_url']}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)  # a bad option is named first, whatever the destination
    if args.stream is None:
        discover_local_stack(args)
        if args.stream is not None:  # found a local stack: its stream and bucket
            options = options_from_args(args)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="framewatch capture: %(message)s",
        stream=sys.stderr,
    )
    from capture.session import run_capture
    from capture.status import summary_table

    stop = threading.Event()
    with _StopOnSignal(stop):
        summary = run_capture(options, stop)
    print(summary_table(summary), file=sys.stderr)
    failed = summary.total("frames_failed")
    if failed:
        print(f"framewatch capture: {failed} frames could not be sent (see errors above)", file=sys.stderr)
    sys.stdout.flush()
    print(f"CAPTURE_SUMMARY {summary.to_json()}", flush=True)
    return 1 if failed else 0
