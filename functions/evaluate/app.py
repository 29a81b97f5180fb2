"""Evaluate step of AnalyzeFrames: the watch list over one frame's detections → what to track."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.core.detections import Detections
from framewatch.core.frame_ref import FrameRef
from framewatch.logic.evaluate import observations_for
from framewatch.settings import WatchListSettings, settings_for

logger = Logger()
tracer = Tracer()


class EvaluateInput(BaseModel):
    frame: FrameRef
    detections: Detections


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=EvaluateInput)
def lambda_handler(event: EvaluateInput, context: LambdaContext) -> dict[str, Any]:
    seen = observations_for(event.frame, event.detections, settings_for(WatchListSettings))
    return {"observations": [o.model_dump(mode="json") for o in seen]}
