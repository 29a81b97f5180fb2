"""Track objects step of AnalyzeFrames: a batch's frames → tracks, incidents and alerts due."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.aws.tracks import DynamoTrackStore
from framewatch.core.incidents import AlertContext
from framewatch.logic.evaluate import watchlist
from framewatch.logic.track import AnalyzedFrame, track_batch
from framewatch.settings import TrackSettings, settings_for

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
    context_ = AlertContext(
        timezone=settings.timezone,
        ui_base_url=settings.ui_base_url,
        retention_days=settings.frame_retention_days,
    )
    alerts = track_batch(event.frames, store, watchlist(settings), context_)
    return {"alerts": alerts}
