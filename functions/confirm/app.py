"""Confirm new incidents with Rekognition (cascade backend): after Track objects, before alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.aws.rekognition import RekognitionVision
from framewatch.aws.tracks import DynamoAlertOutbox
from framewatch.logic.confirm import confirm_alerts
from framewatch.logic.evaluate import watchlist
from framewatch.settings import ConfirmSettings, settings_for

logger = Logger()
tracer = Tracer()


class ConfirmInput(BaseModel):
    alerts: list[dict[str, Any]]


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ConfirmInput)
def lambda_handler(event: ConfirmInput, context: LambdaContext) -> dict[str, Any]:
    settings = settings_for(ConfirmSettings)
    kept = confirm_alerts(
        event.alerts,
        RekognitionVision(),
        DynamoAlertOutbox(settings.alert_slots_table, settings.incidents_table),
        watchlist(settings),
        collection_id=settings.collection_id,
        face_match_threshold=settings.face_match_threshold,
        now=datetime.now(UTC),
        trust_seconds=settings.cascade_trust_seconds,
    )
    if len(kept) < len(event.alerts):
        logger.info("dismissed unconfirmed incidents", extra={"dismissed": len(event.alerts) - len(kept)})
    return {"alerts": kept}
