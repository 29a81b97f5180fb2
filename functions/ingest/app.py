"""Pipe enrichment: Kinesis frame records in, small frame references out.

Each JPEG is written to S3 (or a claim-check key is resolved); the workflow only ever sees keys.
A record that cannot be read goes to the dead-letter queue with its reason and is left out of the
output, so one poison record never holds up the stream.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.logic.ingest import dead_letter_body, ingest_record, stream_records
from framewatch.settings import pipeline_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: KinesisStreamRecord) -> dict[str, Any]:
    ref = ingest_record(record.kinesis.data_as_bytes(), pipeline_settings())
    return ref.model_dump()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: list[dict[str, Any]] | dict[str, Any], context: LambdaContext) -> list[dict]:
    records = stream_records(event)
    with processor(records=records, handler=record_handler, lambda_context=context):
        outcomes = processor.process()
    refs = [result for status, result, _ in outcomes if status == "success"]
    for status, reason, record in outcomes:
        if status == "fail":
            logger.warning("frame record dead-lettered", extra={"reason": reason})
            dead_letter_body(record, reason, pipeline_settings())
    metrics.add_metric(name="FramesIngested", unit=MetricUnit.Count, value=len(refs))
    metrics.add_metric(name="RecordsDeadLettered", unit=MetricUnit.Count, value=len(outcomes) - len(refs))
    return refs
