"""`framewatch pipe --stack NAME`: the template's Pipe, played from this machine against any endpoint.

LocalStack's Pipes are a paid feature and cannot target Express workflows, so a stack deployed there
with ``DeployPipe=false`` has no Pipe. This command does its part with the Pipe's own settings from
template.yaml (batch size, window, retries, maximum record age, AUTOMATIC_BISECT, dead-letter queue):
read the stream, invoke the stack's ingest function with each batch, and run AnalyzeFrames on the
result (StartSyncExecution, or StartExecution and polling where Express is unavailable).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framewatch.aws.clients import ClientError, client
from framewatch.embedded.pipe import LocalPipe
from framewatch.errors import UserError
from framewatch.ops.resources import StackResources


def pipe_props(resources: StackResources) -> dict[str, Any]:
    """The template's FramesPipe with the stack's real stream, function, workflow and queue."""
    from framewatch.embedded.template import translate

    declared = translate(region=resources.region)["Resources"]["FramesPipe"]["Properties"]
    kinesis = dict(declared["SourceParameters"]["KinesisStreamParameters"])
    try:
        stream_arn = client("kinesis").describe_stream_summary(StreamName=resources.stream)[
            "StreamDescriptionSummary"
        ]["StreamARN"]
        sqs = client("sqs")
        queue = sqs.get_queue_url(QueueName=resources.dead_letter_queue)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        target = client("stepfunctions").describe_state_machine(
            stateMachineArn=(
                f"arn:aws:states:{resources.region}:{resources.account}:stateMachine:"
                f"{resources.analyze_frames}"
            )
        )["stateMachineArn"]
        client("lambda").get_function(FunctionName=resources.ingest_function)
    except ClientError as exc:
        raise UserError(
            f"stack {resources.stack} is not complete here ({exc.response['Error'].get('Code')}: "
            f"{exc.response['Error'].get('Message')}); deploy it first (`make localstack-deploy`)"
        ) from None
    kinesis["DeadLetterConfig"] = {"Arn": dlq_arn}
    return {
        "Name": f"{resources.stack}-frames",
        "Source": stream_arn,
        "SourceParameters": {"KinesisStreamParameters": kinesis},
        "Enrichment": resources.ingest_function,
        "Target": target,
    }


def run(
    resources: StackResources,
    checkpoint: Path,
    stop: threading.Event,
    emit: Callable[[str], None],
    report_every: float = 10.0,
) -> LocalPipe:
    """Runs until ``stop`` is set; returns the pipe (its stats) when it stopped."""
    props = pipe_props(resources)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    pipe = LocalPipe(props["Name"], props, checkpoint, resources.region, sync_target=True)
    pipe.start()
    emit(
        f"pipe {props['Name']}: {props['Source']} -> {props['Enrichment']} -> {props['Target']} "
        f"(checkpoint {checkpoint}); Ctrl+C stops it"
    )
    last = None
    try:
        while not stop.wait(report_every):
            stats = pipe.stats
            line = (
                f"{stats.records} records, {stats.frames} frames analysed, {stats.batches_failed} "
                f"failed attempts, {stats.batches_dead_lettered} batches dead-lettered"
            )
            if line != last:
                emit(line + (f"; last error: {pipe.last_error}" if pipe.last_error else ""))
                last = line
    finally:
        pipe.stop()
    return pipe
