"""Monthly cost of one camera, from its frame rate, motion-gating ratio, retention and the calls each
analysed frame costs (pure, no AWS; ``framewatch/ops/measured.py`` supplies measured ratios).

Prices are AWS list prices for us-east-1, without the free tier, in one table below with the page each
comes from. Rekognition tiers apply to an account's monthly volume per API group; here they are applied
to the one camera's volume, which is exact for a one-camera account and an upper bound otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
KB = 1024

PRICES_AS_OF = "2026-11 (us-east-1 list prices; recheck before budgeting)"
# name: (price in USD, unit, source page)
PRICES: dict[str, tuple[float, str, str]] = {
    # Rekognition bills each API call as one image, tiered per API group and month.
    "rekognition_image_first_1m": (0.001, "image, first 1M/month", "aws.amazon.com/rekognition/pricing"),
    "rekognition_image_next_4m": (0.0008, "image, next 4M/month", "aws.amazon.com/rekognition/pricing"),
    "rekognition_image_next_30m": (0.0006, "image, next 30M/month", "aws.amazon.com/rekognition/pricing"),
    "rekognition_group2_over_35m": (
        0.00025,
        "image, over 35M/month (group 2: DetectLabels, DetectFaces)",
        "aws.amazon.com/rekognition/pricing",
    ),
    "rekognition_group1_over_35m": (
        0.0004,
        "image, over 35M/month (group 1: SearchFacesByImage, IndexFaces)",
        "aws.amazon.com/rekognition/pricing",
    ),
    "sfn_express_request": (1.00 / 1e6, "Express execution", "aws.amazon.com/step-functions/pricing"),
    "sfn_express_gb_second": (
        0.00001667,
        "GB-second (64 MB steps, 100 ms minimum)",
        "aws.amazon.com/step-functions/pricing",
    ),
    "kinesis_shard_hour": (0.015, "provisioned shard-hour", "aws.amazon.com/kinesis/data-streams/pricing"),
    "kinesis_put_unit": (
        0.014 / 1e6,
        "PUT payload unit (25 KB)",
        "aws.amazon.com/kinesis/data-streams/pricing",
    ),
    "pipes_request": (0.40 / 1e6, "Pipes request (64 KB chunk)", "aws.amazon.com/eventbridge/pricing"),
    "lambda_request": (0.20 / 1e6, "Lambda request", "aws.amazon.com/lambda/pricing"),
    "lambda_arm_gb_second": (0.0000133334, "Lambda GB-second (arm64)", "aws.amazon.com/lambda/pricing"),
    "dynamodb_write_unit": (
        0.625 / 1e6,
        "on-demand write request unit (1 KB)",
        "aws.amazon.com/dynamodb/pricing/on-demand",
    ),
    "dynamodb_gb_month": (0.25, "GB-month table storage", "aws.amazon.com/dynamodb/pricing/on-demand"),
    "s3_put": (0.005 / 1000, "PUT request", "aws.amazon.com/s3/pricing"),
    "s3_get": (0.0004 / 1000, "GET request", "aws.amazon.com/s3/pricing"),
    "s3_gb_month": (0.023, "GB-month S3 Standard", "aws.amazon.com/s3/pricing"),
    "logs_gb_ingested": (0.50, "GB CloudWatch Logs ingested", "aws.amazon.com/cloudwatch/pricing"),
    "xray_trace": (5.00 / 1e6, "X-Ray trace recorded", "aws.amazon.com/xray/pricing"),
    "sns_publish": (0.50 / 1e6, "SNS publish", "aws.amazon.com/sns/pricing"),
    "sns_email": (2.00 / 100_000, "SNS e-mail delivery", "aws.amazon.com/sns/pricing"),
}


def price(name: str) -> float:
    return PRICES[name][0]


@dataclass(frozen=True)
class LambdaUse:
    """One function's share of the work: calls per analysed frame (or per execution, see
    ``PER_EXECUTION``), mean duration and configured memory."""

    per_frame: float
    ms: float
    memory_mb: int = 512


# Functions called once per workflow execution (a Pipe batch), not once per frame.
PER_EXECUTION = frozenset({"IngestFunction", "TrackFunction"})

# Rekognition operations on the frame path, by pricing group (IndexFaces runs only on enrolment).
REKOGNITION_GROUPS = {"DetectLabels": 2, "DetectFaces": 2, "SearchFacesByImage": 1}


def _seed_lambdas() -> dict[str, LambdaUse]:
    return {
        "IngestFunction": LambdaUse(1.0, 150.0),
        "DetectLabelsFunction": LambdaUse(1.0, 500.0),
        "IdentifyFacesFunction": LambdaUse(1.0, 400.0),
        "EvaluateFunction": LambdaUse(1.0, 60.0),
    }


@dataclass(frozen=True)
class Workload:
    """One camera. Defaults describe the pipeline before measurement (every frame through
    Rekognition); ``framewatch/ops/measured.py`` replaces the ratios with measured ones."""

    fps: float = 1.0  # sampled frames per second, before the motion gate
    gating_ratio: float = 1.0  # share of sampled frames the motion gate sends on
    retention_days: int = 7
    frame_kb: float = 45.0  # JPEG size
    # Billed Rekognition calls per analysed frame, by operation.
    rekognition_per_frame: Mapping[str, float] = field(
        default_factory=lambda: {"DetectLabels": 1.0, "DetectFaces": 1.0, "SearchFacesByImage": 0.1}
    )
    lambdas: Mapping[str, LambdaUse] = field(default_factory=_seed_lambdas)
    # Alerts per analysed frame, measured; None: derived from matching_share, subjects and the window.
    alerts_per_frame: float | None = None
    matching_share: float = 1.0  # share of analysed frames that match a watch-list rule
    subjects: int = 2  # distinct incidents (rule x subject) that can be open at once
    dedupe_window_s: float | None = 300.0  # None: an alert for every matching frame (no dedupe)
    cameras_per_shard: float = 1.0  # a shard takes 1 MB/s: several cameras can share one
    frames_per_execution: float = 1.0  # Pipe batches (up to 10 within 1 s): 1 at 1 fps
    execution_seconds: float = 1.5  # one AnalyzeFrames execution, end to end
    log_kb_per_execution: float = 8.0  # Express logging level ALL with execution data
    log_kb_per_invocation: float = 0.5
    frame_item_kb: float = 1.5  # DynamoDB frame item (labels and faces as JSON)
    track_state_kb: float = 2.0  # the camera's tracks item, written once per execution
    email_alerts: bool = True

    @property
    def frames_per_month(self) -> float:
        return self.fps * self.gating_ratio * SECONDS_PER_MONTH


def rekognition_images(images: float, group: int = 2) -> float:
    """USD for a month's images of one API group (the tiers count each group on its own)."""
    tiers = [
        (1e6, price("rekognition_image_first_1m")),
        (4e6, price("rekognition_image_next_4m")),
        (30e6, price("rekognition_image_next_30m")),
        (math.inf, price(f"rekognition_group{group}_over_35m")),
    ]
    cost, left = 0.0, images
    for size, unit in tiers:
        used = min(left, size)
        cost += used * unit
        left -= used
        if left <= 0:
            break
    return cost


def rekognition_share(w: Workload, group: int | None = None) -> float:
    """Billed Rekognition images per analysed frame (of one pricing group, or all)."""
    return sum(
        share
        for op, share in w.rekognition_per_frame.items()
        if group is None or REKOGNITION_GROUPS.get(op, 2) == group
    )


def alerts_per_month(w: Workload) -> float:
    frames = w.frames_per_month
    if w.alerts_per_frame is not None:
        return frames * w.alerts_per_frame
    matching = frames * w.matching_share
    if w.dedupe_window_s is None:
        return matching
    return min(matching, w.subjects * SECONDS_PER_MONTH / w.dedupe_window_s)


def monthly_cost(w: Workload) -> dict[str, float]:
    """USD per month by service for one camera."""
    frames = w.frames_per_month
    executions = frames / max(w.frames_per_execution, 1.0)
    record_kb = w.frame_kb * 4 / 3 + 0.4  # base64 image inside the JSON frame record
    batch_kb = record_kb * w.frames_per_execution
    costs: dict[str, float] = {}

    costs["Rekognition"] = sum(
        rekognition_images(frames * rekognition_share(w, group), group) for group in (1, 2)
    )
    costs["Kinesis"] = HOURS_PER_MONTH * price(
        "kinesis_shard_hour"
    ) / w.cameras_per_shard + frames * math.ceil(record_kb / 25) * price("kinesis_put_unit")
    costs["EventBridge Pipes"] = executions * math.ceil(batch_kb / 64) * price("pipes_request")
    memory_64mb_steps = 0.0625  # the workflow state (frame references) fits the smallest step
    costs["Step Functions Express"] = executions * (
        price("sfn_express_request")
        + memory_64mb_steps * max(w.execution_seconds, 0.1) * price("sfn_express_gb_second")
    )
    invocations = 0.0
    gb_seconds = 0.0
    for name, use in w.lambdas.items():
        calls = (executions if name in PER_EXECUTION else frames) * use.per_frame
        invocations += calls
        gb_seconds += calls * max(use.ms, 1.0) / 1000 * use.memory_mb / 1024
    costs["Lambda"] = invocations * price("lambda_request") + gb_seconds * price("lambda_arm_gb_second")

    alerts = alerts_per_month(w)
    # Per frame: the frame item and its two ALL-projected indexes. Per execution: the camera's
    # track state, written in a transaction (2x). Per alert: the outbox claim, the alert record,
    # the sent mark and the incident's alerted mark.
    write_units = (
        frames * 3 * math.ceil(w.frame_item_kb) + executions * 2 * math.ceil(w.track_state_kb) + alerts * 4
    )
    stored_frames = w.fps * w.gating_ratio * 86_400 * w.retention_days
    costs["DynamoDB"] = write_units * price(
        "dynamodb_write_unit"
    ) + stored_frames * 3 * w.frame_item_kb / KB / KB * price("dynamodb_gb_month")
    costs["S3"] = (
        frames * price("s3_put")
        + frames * 2 * price("s3_get")
        + stored_frames * w.frame_kb / KB / KB * price("s3_gb_month")
    )
    log_gb = (executions * w.log_kb_per_execution + invocations * w.log_kb_per_invocation) / KB / KB
    costs["CloudWatch Logs"] = log_gb * price("logs_gb_ingested")
    # Lambda's sampling records the first request each second and 5% of the rest: at one execution a
    # second or less, that is every execution.
    per_second = executions / SECONDS_PER_MONTH
    traced = SECONDS_PER_MONTH * (min(per_second, 1.0) + 0.05 * max(per_second - 1.0, 0.0))
    costs["X-Ray"] = traced * price("xray_trace")
    costs["SNS alerts"] = alerts * (price("sns_publish") + (price("sns_email") if w.email_alerts else 0.0))
    return costs


def seed_design(w: Workload) -> Workload:
    """The seed: every 30th frame of a 30 fps camera, no motion gate, an alert for every frame."""
    seed = Workload()
    return replace(
        w,
        fps=1.0,
        gating_ratio=1.0,
        dedupe_window_s=None,
        alerts_per_frame=None,
        rekognition_per_frame=seed.rekognition_per_frame,
        lambdas=seed.lambdas,
    )


def table(columns: dict[str, Workload]) -> str:
    """A Markdown table, one column per workload, one row per service, USD per month."""
    costs = {name: monthly_cost(w) for name, w in columns.items()}
    services = list(next(iter(costs.values())))
    lines = ["| service | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for service in services:
        lines.append(f"| {service} | " + " | ".join(f"{costs[c][service]:,.2f}" for c in columns) + " |")
    lines.append(
        "| **total per camera per month** | "
        + " | ".join(f"**{sum(costs[c].values()):,.2f}**" for c in columns)
        + " |"
    )
    lines.append(
        "| frames analysed per month | "
        + " | ".join(f"{w.frames_per_month:,.0f}" for w in columns.values())
        + " |"
    )
    lines.append(
        "| Rekognition images per month | "
        + " | ".join(f"{w.frames_per_month * rekognition_share(w):,.0f}" for w in columns.values())
        + " |"
    )
    if "seed design" in costs:
        seed = sum(costs["seed design"].values())
        lines.append(
            "| cheaper than the seed design | "
            + " | ".join(f"{seed / max(sum(costs[c].values()), 0.01):,.1f}x" for c in columns)
            + " |"
        )
    return "\n".join(lines)
