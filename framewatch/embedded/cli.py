"""`framewatch up`, `framewatch demo` and `framewatch alerts`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path("var/framewatch")


def register(subparsers: Any) -> None:
    up = subparsers.add_parser("up", help="run the embedded stack (no AWS account) until Ctrl+C")
    up.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="where local state lives")
    up.add_argument(
        "--watchlist", type=Path, default=None, help="watch-list YAML (default config/watchlist.yaml)"
    )
    up.add_argument("--template", type=Path, default=None, help="SAM template to run (default template.yaml)")
    up.add_argument("--ui-port", type=int, default=8080, help="port of the web UI (0 picks one)")
    up.add_argument(
        "--cameras",
        type=Path,
        default=None,
        metavar="FILE",
        help="camera file (`cameras:` list, as `framewatch capture --config` reads) to run inside `up`",
    )
    up.add_argument(
        "--snapshot-interval",
        type=float,
        default=5.0,
        help="seconds between saves of tables and images to the data dir (default 5)",
    )
    _detector_arg(up)
    up.set_defaults(func=_up)

    demo = subparsers.add_parser("demo", help="`up` plus a bundled clip streamed through the pipeline")
    demo.add_argument("--clip", type=Path, default=None, help="video file (default: bundled bikes.mp4)")
    demo.add_argument("--every", type=int, default=3, help="send every Nth frame of the clip (default 3)")
    demo.add_argument("--exit", action="store_true", help="stop after the summary (tests and CI)")
    demo.add_argument("--data-dir", type=Path, default=None, help="keep state here (default: a temp dir)")
    demo.add_argument(
        "--template", type=Path, default=None, help="SAM template to run (default template.yaml)"
    )
    _detector_arg(demo)
    demo.set_defaults(func=_demo)

    alerts = subparsers.add_parser("alerts", help="list recent alerts of a stack (AWS, LocalStack, or `up`)")
    alerts.add_argument("--stack", default="framewatch", help="stack name (tables are <stack>-alerts)")
    alerts.add_argument("--limit", type=int, default=20)
    alerts.set_defaults(func=_alerts)


DRAIN_SECONDS = 6.0  # in-flight batches get this long at a stop; the snapshot and the rest fit in 10 s


def _detector_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--detector",
        choices=["rekognition", "bundled", "cascade"],
        default="rekognition",
        help="the template's DetectorBackend: rekognition (the local vision service standing in for it) "
        "on every frame; bundled (the models inside the functions); cascade (bundled, confirmed by "
        "the Rekognition stand-in once per new incident). Default rekognition",
    )


def _stop_on_signal() -> Any:
    """An event set by the first Ctrl+C or SIGTERM; from then on a second one leaves at once."""
    import os
    import signal
    import threading

    stop = threading.Event()

    def first(signum: int, frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, second)
        signal.signal(signal.SIGTERM, second)

    def second(signum: int, frame: object) -> None:
        print("stopping now, without the last snapshot (second signal)", flush=True)
        os._exit(130)

    signal.signal(signal.SIGINT, first)
    signal.signal(signal.SIGTERM, first)
    return stop


def _up(args: argparse.Namespace) -> int:
    from capture import discovery
    from framewatch.embedded import allocator
    from framewatch.embedded.execution_logs import LONG_RUNNING_RETAIN_SECONDS
    from framewatch.embedded.retention import SWEEP_SECONDS
    from framewatch.embedded.stack import DEFAULT_WATCHLIST, EmbeddedStack, StackOptions
    from framewatch.embedded.template import TEMPLATE

    options = StackOptions(
        data_dir=args.data_dir,
        watchlist=args.watchlist or DEFAULT_WATCHLIST,
        template=args.template or TEMPLATE,
        ui_port=args.ui_port,
        snapshot_interval=args.snapshot_interval,
        retention_interval=SWEEP_SECONDS,
        execution_grace=LONG_RUNNING_RETAIN_SECONDS,
        parameters={"DetectorBackend": args.detector},
        watch=True,
        notify=lambda line: print(line, flush=True),
    )
    cameras = _camera_options(args.cameras) if args.cameras else None  # a bad file stops here
    allocator.tune_for_long_running()  # before any thread: memory freed goes back (see allocator)
    stack = EmbeddedStack(options).start()
    supervisor = None
    try:
        for pipe in stack.pipes:  # a failed or timed-out execution is shown as it happens
            pipe.on_execution_failed = lambda failure: print(failure.describe(), flush=True)
        print(f"framewatch is up (stack {options.stack_name}, data in {options.data_dir})")
        restored = ", ".join(f"{count} {kind}" for kind, count in stack.restored.items() if count)
        print(f"restored from the last snapshot: {restored}" if restored else "starting with no saved data")
        print(
            f"people, frames, alerts and images are saved every {args.snapshot_interval:g} s; "
            f"a crash loses at most the last {args.snapshot_interval:g} s, and records still waiting "
            "on the stream"
        )
        if stack.ui is not None:
            print(f"web UI: {stack.ui.ui_url}  (the page keeps the key from this address)")
        print(f"function logs (as CloudWatch Logs would keep them): {options.data_dir / 'logs'}")
        found = discovery.write(
            options.data_dir,
            {
                "endpoint_url": stack.moto_url,
                "stream": stack.stream_name,
                "bucket": stack.media_bucket,
                "ui_url": f"{stack.ui.url}/" if stack.ui is not None else None,
                "api_key": stack.ui.api_key if stack.ui is not None else None,
                "region": options.region,
            },
        )
        print(f"send frames from another terminal with (it finds this stack through {found}):")
        default_dir = options.data_dir.resolve() == discovery.DEFAULT_DATA_DIR.resolve()
        print(
            "  framewatch capture VIDEO_OR_URL --camera cam1"
            + ("" if default_dir else f" --data-dir {options.data_dir}")
        )
        print("or, with the endpoint spelled out:")
        print(
            f"  AWS_ENDPOINT_URL={stack.moto_url} AWS_ACCESS_KEY_ID=framewatch-local "
            f"AWS_SECRET_ACCESS_KEY=framewatch-local AWS_DEFAULT_REGION={options.region} \\"
        )
        print(
            f"  framewatch capture VIDEO_OR_URL --camera cam1 --stream {stack.stream_name} "
            f"--bucket {stack.media_bucket}"
        )
        if cameras is not None:
            supervisor = _start_cameras(stack, cameras)
            names = ", ".join(camera.id for camera in cameras.cameras)
            print(f"cameras running inside up: {names} (per-camera figures on the web UI's live page)")
        print("saved edits of statemachines/*.asl.json and of the watch list are checked, then applied")
        stop = _stop_on_signal()  # before saying so: a signal right after the line must stop cleanly
        print("press Ctrl+C to stop", flush=True)
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        discovery.remove(options.data_dir)
        if supervisor is not None:
            print("stopping: cameras…", flush=True)
            supervisor.stop(flush_seconds=1.0)
        stack.stop(emit=lambda line: print(line, flush=True), drain_seconds=DRAIN_SECONDS)
    print("stopped", flush=True)
    return 0


def _camera_options(path: Path) -> Any:
    from capture.config import load_config_file, validate_options

    options = validate_options(load_config_file(path), f"camera file {path}")
    return options.model_copy(update={"status": False, "dry_run": None})


def _start_cameras(stack: Any, options: Any) -> Any:
    """Every camera of the file under supervision, sending to this stack's stream."""
    from capture.sinks import KinesisSink
    from capture.supervisor import CameraSupervisor

    producer = options.producer.model_copy(update={"stream": stack.stream_name, "bucket": stack.media_bucket})
    options = options.model_copy(update={"producer": producer})
    supervisor = CameraSupervisor(options, KinesisSink(stack.stream_name, stack.media_bucket)).start()
    stack.camera_report = supervisor.report
    return supervisor


def _demo(args: argparse.Namespace) -> int:
    from framewatch.embedded.demo import run_demo
    from framewatch.errors import UserError
    from framewatch.media import clip_path

    if args.every < 1:
        raise UserError("--every must be 1 or more")
    clip = args.clip or clip_path("bikes.mp4")
    run_demo(
        clip,
        every=args.every,
        exit_after=args.exit,
        data_dir=args.data_dir,
        template=args.template,
        detector=args.detector,
        emit=lambda line: print(line, flush=True),
    )
    return 0


def _alerts(args: argparse.Namespace) -> int:
    from framewatch.embedded import report

    rows = report.alerts(f"{args.stack}-alerts")[-args.limit :]
    for row in rows:
        print(f"{row.alert_key[:23]}  {row.status:<10} {row.camera_id:<12} {row.subject:<14} {row.rule}")
    if not rows:
        print("no alerts yet")
    return 0
