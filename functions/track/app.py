"""Track objects step of AnalyzeFrames (a batch's frames → tracks, incidents and alerts due), and the
scheduled sweep that ends the incidents of cameras that went silent."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.aws.tracks import DynamoTrackStore
from framewatch.core.incidents import AlertContext
from framewatch.logic.evaluate import watchlist
from framewatch.logic.track import AnalyzedFrame, end_quiet_incidents, track_batch
from framewatch.settings import QuietCameraSettings, TrackSettings, settings_for

logger = Logger()
tracer = Tracer()


class TrackInput(BaseModel):
    frames: list[AnalyzedFrame]


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=TrackInput)
def lambda_handler(event: TrackInput, context: LambdaContext) -> dict[str, Any]:
    settings = settings_for(TrackSettings)
    store = DynamoTrackStore(settings.tracks_table, settings.incidents_table, settings.alert_slots_table)
    alerts = track_batch(event.frames, store, watchlist(settings), _alert_context(settings))
    return {"alerts": alerts}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=EventBridgeModel)
def end_quiet_camera_incidents(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    """Every few minutes (an EventBridge schedule): cameras silent for too long get their incidents ended."""
    settings = settings_for(QuietCameraSettings)
    store = DynamoTrackStore(settings.tracks_table, settings.incidents_table)
    ended = end_quiet_incidents(store, watchlist(settings), _alert_context(settings), event.time)
    if ended:
        logger.info("ended incidents of silent cameras", extra={"incidents_ended": ended})
    return {"incidents_ended": ended}


def _alert_context(settings: QuietCameraSettings) -> AlertContext:
    return AlertContext(
        timezone=settings.timezone,
        ui_base_url=settings.ui_base_url,
        retention_days=settings.frame_retention_days,
    )
