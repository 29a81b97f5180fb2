"""Detect step of AnalyzeFrames: two entry points that run side by side in a Parallel state."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.aws.dynamodb import DynamoPeople
from framewatch.aws.rekognition import RekognitionVision
from framewatch.aws.s3 import S3Objects
from framewatch.core.detections import shows_a_person
from framewatch.core.frame_ref import FrameRef
from framewatch.logic.detect import find_labels
from framewatch.logic.detect import identify_faces as identify
from framewatch.settings import FaceSettings, LabelSettings, settings_for

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=FrameRef)
def detect_labels(frame: FrameRef, context: LambdaContext) -> dict[str, Any]:
    labels = find_labels(frame, RekognitionVision(), settings_for(LabelSettings))
    # The workflow's "Anyone in the frame?" looks for faces only when this is true.
    return {
        "labels": [label.model_dump(mode="json") for label in labels],
        "person_seen": shows_a_person(labels),
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=FrameRef)
def identify_faces(frame: FrameRef, context: LambdaContext) -> dict[str, Any]:
    settings = settings_for(FaceSettings)
    faces = identify(frame, RekognitionVision(), S3Objects(), DynamoPeople(settings.people_table), settings)
    return {"faces": [face.model_dump(mode="json") for face in faces]}
