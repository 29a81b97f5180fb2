"""EnrollFace's indexing step: the one face of enroll/<person-id>/<file> joins the collection."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.aws.rekognition import RekognitionVision
from framewatch.logic.enroll import enroll_face
from framewatch.logic.events import ObjectCreatedEvent
from framewatch.settings import EnrollSettings, settings_for

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ObjectCreatedEvent)
def lambda_handler(event: ObjectCreatedEvent, context: LambdaContext) -> dict[str, Any]:
    detail = event.detail
    outcome = enroll_face(
        detail.bucket.name, detail.object.key, RekognitionVision(), settings_for(EnrollSettings)
    )
    logger.info("enrollment", extra=outcome)
    return outcome
