"""Pipe enrichment: Kinesis frame records in, small frame references out.

Each JPEG is written to S3 (a claim-checked one is copied to its frame key); the workflow only ever
sees keys. A record whose content is bad goes to the dead-letter queue with its reason and is left out
of the output, so one poison record never holds up the stream. Any other error (S3 throttling, 5xx,
timeouts, access denied) fails the whole batch: Pipes retries it and bisects it, and nothing is lost
to a transient fault. (Pipes has no partial batch response for enrichment, so it is all or nothing.)
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.aws.s3 import S3Objects
from framewatch.aws.sqs import SqsDeadLetters
from framewatch.logic.ingest import dead_letter, ingest_batch, stream_records
from framewatch.settings import IngestSettings, settings_for

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: list[dict[str, Any]] | dict[str, Any], context: LambdaContext
) -> list[dict[str, Any]]:
    settings = settings_for(IngestSettings)
    batch = ingest_batch(stream_records(event), S3Objects(), settings)  # a transient error raises
    dead_letters = SqsDeadLetters(settings.dead_letter_queue_url)
    for record, reason in batch.rejected:
        logger.warning("frame record dead-lettered", extra={"reason": reason})
        dead_letter(record, reason, dead_letters)
    metrics.add_metric(name="FramesIngested", unit=MetricUnit.Count, value=len(batch.refs))
    metrics.add_metric(name="RecordsDeadLettered", unit=MetricUnit.Count, value=len(batch.rejected))
    return [ref.model_dump() for ref in batch.refs]
