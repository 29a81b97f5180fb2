"""Turns an "Object Created" event for uploads/<id>.jpg into the one-frame batch AnalyzeFrames maps over."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.aws.s3 import S3Objects
from framewatch.logic.describe_upload import describe_upload
from framewatch.logic.events import ObjectCreatedEvent
from framewatch.settings import UploadSettings, settings_for

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ObjectCreatedEvent)
def lambda_handler(event: ObjectCreatedEvent, context: LambdaContext) -> list[dict[str, Any]]:
    detail = event.detail
    settings = settings_for(UploadSettings)
    ref = describe_upload(detail.bucket.name, detail.object.key, event.time, S3Objects(), settings)
    return [ref.model_dump()]
