"""The bundled detector's steps (DetectorBackend bundled or cascade): the same use cases as
functions/detect and functions/enroll, with the object and face models running inside this function
instead of Rekognition. Kept apart from those folders because only these need the vision layer
(onnxruntime, OpenCV and the models)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.aws.dynamodb import DynamoPeople
from framewatch.aws.s3 import S3Objects
from framewatch.core.detections import shows_a_person
from framewatch.core.frame_ref import FrameRef
from framewatch.logic.detect import find_labels
from framewatch.logic.detect import identify_faces as identify
from framewatch.logic.enroll import enroll_face as enroll
from framewatch.logic.events import ObjectCreatedEvent
from framewatch.settings import (
    BundledEnrollSettings,
    BundledFaceSettings,
    BundledLabelSettings,
    settings_for,
)
from framewatch.vision.bundled import BundledVision

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=FrameRef)
def detect_objects(frame: FrameRef, context: LambdaContext) -> dict[str, Any]:
    settings = settings_for(BundledLabelSettings)
    labels = find_labels(frame, BundledVision(settings.media_bucket), settings)
    return {
        "labels": [label.model_dump(mode="json") for label in labels],
        "person_seen": shows_a_person(labels),
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=FrameRef)
def identify_faces(frame: FrameRef, context: LambdaContext) -> dict[str, Any]:
    settings = settings_for(BundledFaceSettings)
    vision = BundledVision(settings.media_bucket)
    faces = identify(frame, vision, S3Objects(), DynamoPeople(settings.people_table), settings)
    return {"faces": [face.model_dump(mode="json") for face in faces]}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ObjectCreatedEvent)
def enroll_face(event: ObjectCreatedEvent, context: LambdaContext) -> dict[str, Any]:
    settings = settings_for(BundledEnrollSettings)
    detail = event.detail
    outcome = enroll(detail.bucket.name, detail.object.key, BundledVision(settings.media_bucket), settings)
    logger.info("enrollment", extra=outcome)
    return outcome
