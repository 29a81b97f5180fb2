"""`framewatch executions | dlq | purge | cost | stack`: operating a stack on AWS, LocalStack or `up`.

Resources are found by stack name (see framewatch/ops/resources.py); endpoints come from the
environment as everywhere else (AWS_ENDPOINT_URL for LocalStack or the embedded stack).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

DEFAULT_STACK = os.environ.get("FRAMEWATCH_STACK", "framewatch")


def _stack_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", default=DEFAULT_STACK, help="stack name (default $FRAMEWATCH_STACK or framewatch)"
    )
    parser.add_argument("--region", default=None, help="AWS region (default from the environment)")


def register(subparsers: Any) -> None:
    ex = subparsers.add_parser("executions", help="workflow executions that ended recently")
    _stack_args(ex)
    ex.add_argument("--failed", action="store_true", help="only failed executions")
    ex.add_argument("--workflow", choices=["analyze", "enroll"], default="analyze")
    ex.add_argument("--since", type=float, default=60, metavar="MINUTES", help="look back (default 60)")
    ex.add_argument("--limit", type=int, default=20)
    ex.add_argument("--follow", action="store_true", help="keep printing new ones every 5 s until Ctrl+C")
    ex.set_defaults(func=_executions)

    dlq = subparsers.add_parser("dlq", help="the dead-letter queue: show or redrive its messages")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)
    show = dlq_sub.add_parser("show", help="list messages without taking them off the queue")
    _stack_args(show)
    show.add_argument("--limit", type=int, default=20)
    show.set_defaults(func=_dlq_show)
    redrive = dlq_sub.add_parser("redrive", help="send messages back (stream or workflow) and delete them")
    _stack_args(redrive)
    redrive.add_argument("--limit", type=int, default=None, help="at most N messages")
    redrive.add_argument("--dry-run", action="store_true", help="only say what would be redriven")
    redrive.set_defaults(func=_dlq_redrive)

    pipe = subparsers.add_parser(
        "pipe", help="play the stack's Pipe from here (LocalStack or any endpoint without Pipes)"
    )
    _stack_args(pipe)
    pipe.add_argument(
        "--checkpoint", type=Path, default=None, help="where the shard positions are kept (default var/)"
    )
    pipe.set_defaults(func=_pipe)

    purge = subparsers.add_parser("purge", help="delete frames, alerts and images older than N days")
    _stack_args(purge)
    purge.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.set_defaults(func=_purge)

    cost = subparsers.add_parser(
        "cost",
        help="estimated monthly AWS cost of one camera, per detector backend, from measured ratios",
    )
    cost.add_argument("--fps", type=float, default=1.0, help="sampled frames per second (default 1)")
    cost.add_argument(
        "--detector",
        action="append",
        choices=["rekognition", "bundled", "cascade"],
        help="backend column(s) to show (repeatable; default: all three, or the one --from measured)",
    )
    cost.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        metavar="FILE",
        help="measured ratios: a demo's output (its SUMMARY line) or bench/results/latest.json "
        "(default: the committed bikes.mp4 measurement of each backend)",
    )
    cost.add_argument(
        "--scene",
        choices=["busy", "static"],
        default="busy",
        help="which committed measurement: busy (bikes.mp4, the default) or static (its still frame)",
    )
    cost.add_argument(
        "--gating",
        type=float,
        default=None,
        metavar="RATIO",
        help="share of sampled frames the motion gate sends (default: as measured)",
    )
    cost.add_argument("--retention-days", type=int, default=7)
    cost.add_argument("--frame-kb", type=float, default=45.0, help="JPEG size in KB (default 45)")
    cost.add_argument(
        "--faces-per-frame",
        type=float,
        default=None,
        help="SearchFacesByImage calls per analysed frame (default: as measured)",
    )
    cost.add_argument("--cameras-per-shard", type=float, default=1.0)
    cost.add_argument("--no-dedupe", action="store_true", help="an alert for every analysed frame")
    cost.add_argument(
        "--compare-seed",
        action="store_true",
        help="add a column for the seed design (1 fps, every frame through Rekognition, no dedupe)",
    )
    cost.set_defaults(func=_cost)

    stack = subparsers.add_parser("stack", help="deployment helpers used by `make deploy/outputs/destroy`")
    stack_sub = stack.add_subparsers(dest="stack_command", metavar="ACTION", required=True)
    preflight = stack_sub.add_parser("preflight", help="fail in one line when no AWS credentials are found")
    _stack_args(preflight)
    preflight.set_defaults(func=_preflight)
    outputs = stack_sub.add_parser("outputs", help="API URL, API key id, stream, console links")
    _stack_args(outputs)
    outputs.set_defaults(func=_outputs)
    watchlist = stack_sub.add_parser("upload-watchlist", help="validate and upload the watch list")
    _stack_args(watchlist)
    watchlist.add_argument("path", nargs="?", default="config/watchlist.yaml")
    watchlist.set_defaults(func=_upload_watchlist)
    empty = stack_sub.add_parser("empty-bucket", help="delete every object of the media bucket")
    _stack_args(empty)
    empty.set_defaults(func=_empty_bucket)
    upload_ui = stack_sub.add_parser("upload-ui", help="upload webui/ and its config.js, print the UI URL")
    _stack_args(upload_ui)
    upload_ui.set_defaults(func=_upload_ui)
    collection = stack_sub.add_parser(
        "create-collection", help="create the face collection where the template does not (LocalStack)"
    )
    collection.add_argument("--collection", default="framewatch-faces")
    collection.add_argument("--region", default=None)
    collection.set_defaults(func=_create_collection)


def _region(args: argparse.Namespace) -> None:
    if getattr(args, "region", None):
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = args.region
        from framewatch.aws import clients

        clients.reset()


def _resources(args: argparse.Namespace) -> Any:
    from framewatch.ops.resources import resolve

    _region(args)
    return resolve(args.stack)


def _executions(args: argparse.Namespace) -> int:
    from framewatch.ops import executions

    resources = _resources(args)
    arn = executions.state_machine(resources, args.workflow)
    executions.show(arn, args.since, args.limit, args.failed, print)
    printed: set[str] = set()
    while args.follow:  # poll: Express history arrives in CloudWatch Logs a few seconds late
        time.sleep(5)
        for line in executions.lines(arn, 2.0, args.limit, args.failed):
            if line not in printed:
                printed.add(line)
                print(line, flush=True)
    return 0


def _pipe(args: argparse.Namespace) -> int:
    import threading

    from framewatch.ops import pipe

    resources = _resources(args)
    checkpoint = args.checkpoint or Path("var") / f"pipe-{resources.stack}-checkpoint.json"
    stop = threading.Event()
    try:
        pipe.run(resources, checkpoint, stop, lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        stop.set()
    return 0


def _dlq_url(resources: Any) -> str:
    from framewatch.aws import maintenance
    from framewatch.aws.clients import ClientError
    from framewatch.errors import UserError

    try:
        return maintenance.queue_url(resources.dead_letter_queue)
    except ClientError as exc:
        raise UserError(
            f"queue {resources.dead_letter_queue} not found; is stack {resources.stack} deployed?"
        ) from exc


def _dlq_show(args: argparse.Namespace) -> int:
    from framewatch.aws import maintenance
    from framewatch.ops import dlq

    resources = _resources(args)
    url = _dlq_url(resources)
    print(f"{maintenance.queue_depth(url)} messages in {resources.dead_letter_queue}")
    for body in dlq.peek(url, args.limit):
        print("  " + dlq.summary(body))
    return 0


def _dlq_redrive(args: argparse.Namespace) -> int:
    from framewatch.ops import dlq

    resources = _resources(args)
    url = _dlq_url(resources)
    report = dlq.Redriver(resources, print).run(url, limit=args.limit, dry_run=args.dry_run)
    verb = "would redrive" if args.dry_run else "redriven"
    line = f"{verb} {len(report.redriven)}, kept {len(report.kept)}"
    if report.left_for_later:
        line += f", {report.left_for_later} arrived during the redrive (left for the next run)"
    print(line)
    return 1 if report.kept else 0


def _purge(args: argparse.Namespace) -> int:
    from framewatch.errors import UserError
    from framewatch.ops.purge import purge

    if args.older_than < 0:
        raise UserError("--older-than must be 0 or more days")
    purge(_resources(args), args.older_than, args.dry_run, print)
    return 0


def _cost(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from framewatch.errors import UserError
    from framewatch.ops import cost, measured

    if (args.gating is not None and not 0 < args.gating <= 1) or args.fps <= 0:
        raise UserError("--fps must be above 0 and --gating between 0 (excluded) and 1")
    detectors = list(dict.fromkeys(args.detector or []))
    measurements = {}
    if args.from_file is not None:
        measurements = {m.detector: m for m in measured.load(args.from_file)}
        detectors = detectors or list(measurements)
    detectors = detectors or list(measured.DETECTORS)
    for detector in detectors:
        if detector not in measurements:
            measurements[detector] = measured.default(detector, args.scene)
    base = cost.Workload(
        fps=args.fps,
        retention_days=args.retention_days,
        frame_kb=args.frame_kb,
        cameras_per_shard=args.cameras_per_shard,
    )
    columns: dict[str, cost.Workload] = {}
    notes: list[str] = []
    for detector in detectors:
        workload = measured.workload(measurements[detector], base)
        if args.gating is not None:
            workload = replace(workload, gating_ratio=args.gating)
        if args.faces_per_frame is not None:
            rates = {**workload.rekognition_per_frame}
            if "SearchFacesByImage" in rates:
                rates["SearchFacesByImage"] = args.faces_per_frame
            workload = replace(workload, rekognition_per_frame=rates)
        if args.no_dedupe:
            workload = replace(workload, alerts_per_frame=1.0)
        columns[detector] = workload
        notes += measured.assumptions(measurements[detector], workload)
    if args.compare_seed:
        columns = {"seed design": cost.seed_design(base), **columns}
        notes.append(
            "seed design: every frame at 1 fps through DetectLabels and DetectFaces, SearchFacesByImage "
            "for 0.1 faces per frame, an alert for every frame (no gate, no incidents)"
        )
    print(cost.table(columns))
    print(f"\nUSD, prices as of {cost.PRICES_AS_OF}; no free tier. See docs/deploy.md for the model.")
    print("Assumptions:")
    for line in notes:
        print(f"  {line}")
    return 0


def _preflight(args: argparse.Namespace) -> int:
    from framewatch.aws.cloudformation import has_credentials
    from framewatch.errors import UserError

    _region(args)
    if not has_credentials():
        raise UserError(
            "no AWS credentials found; deploying needs an AWS account: run `aws configure` "
            "or set AWS_PROFILE (offline: `make localstack-deploy` or `framewatch up`)"
        )
    return 0


def _outputs(args: argparse.Namespace) -> int:
    from framewatch.aws.cloudformation import session_region, stack_outputs
    from framewatch.errors import UserError

    _region(args)
    outputs = stack_outputs(args.stack)
    if outputs is None:
        raise UserError(f"stack {args.stack} does not exist in {session_region()}; run `make deploy`")
    region = session_region()
    for key in ("WebUiUrl", "ApiUrl", "ApiKeyId", "StreamName", "MediaBucketName", "DeadLetterQueueUrl"):
        if key in outputs:
            print(f"{key:<22} {outputs[key]}")
    for key in ("AnalyzeFramesStateMachineArn", "EnrollFaceStateMachineArn"):
        if key in outputs:
            print(
                f"{key.removesuffix('StateMachineArn') + ' console':<22} https://{region}.console.aws."
                f"amazon.com/states/home?region={region}#/statemachines/view/{outputs[key]}"
            )
    if "ApiKeyId" in outputs:
        print(
            f"API key value: aws apigateway get-api-key --api-key {outputs['ApiKeyId']} --include-value "
            f"--query value --output text --region {region}"
        )
    return 0


def _upload_ui(args: argparse.Namespace) -> int:
    from framewatch.aws.cloudformation import session_region, stack_outputs
    from framewatch.errors import UserError
    from framewatch.ops import webui

    _region(args)
    outputs = stack_outputs(args.stack)
    if outputs is None:
        raise UserError(f"stack {args.stack} does not exist in {session_region()}; run `make deploy`")
    url = webui.publish(outputs)
    print(f"web UI: {url}  (it asks once for the API key: `make outputs` prints how to fetch it)")
    return 0


def _create_collection(args: argparse.Namespace) -> int:
    from framewatch.aws.clients import ClientError, client

    _region(args)
    rekognition = client("rekognition")  # AWS_ENDPOINT_URL_REKOGNITION: the vision service
    try:
        rekognition.create_collection(CollectionId=args.collection)
        print(f"face collection {args.collection} created at {rekognition.meta.endpoint_url}")
    except ClientError as exc:
        if exc.response["Error"].get("Code") != "ResourceAlreadyExistsException":
            raise
        print(f"face collection {args.collection} already exists at {rekognition.meta.endpoint_url}")
    return 0


def _upload_watchlist(args: argparse.Namespace) -> int:
    from pathlib import Path

    from framewatch.aws import s3
    from framewatch.core.watchlist import load_watchlist
    from framewatch.errors import UserError

    path = Path(args.path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise UserError(f"cannot read watch list {path}: {exc.strerror}") from exc
    load_watchlist(text, str(path))
    resources = _resources(args)
    s3.put_object(resources.media_bucket, "config/watchlist.yaml", text.encode(), "application/yaml")
    print(f"watch list {path} → s3://{resources.media_bucket}/config/watchlist.yaml")
    return 0


def _empty_bucket(args: argparse.Namespace) -> int:
    from botocore.exceptions import ClientError

    from framewatch.aws import maintenance

    resources = _resources(args)
    deleted = maintenance.empty_bucket(resources.media_bucket)
    print(f"emptied s3://{resources.media_bucket} ({deleted} objects and versions)")
    try:  # the UI bucket exists only with DeployWebUi=true
        deleted = maintenance.empty_bucket(resources.ui_bucket)
        print(f"emptied s3://{resources.ui_bucket} ({deleted} objects and versions)")
    except ClientError as exc:
        if exc.response["Error"].get("Code") != "NoSuchBucket":
            raise
    return 0
