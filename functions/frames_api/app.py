"""Frames API: API Gateway (REST, proxy, v1 events) → routes → framewatch.api.service.

Each route parses its input, calls one service function and returns its dict as JSON; every
``ApiError`` becomes ``{"message": ...}`` with its status, anything else a logged 500.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from framewatch.api import queries as q
from framewatch.api import service
from framewatch.api.dal import AwsStore
from framewatch.api.settings import ApiSettings

logger = Logger(service="frames-api")
tracer = Tracer(service="frames-api")
metrics = Metrics(namespace="framewatch", service="frames-api")

# Read once at cold start: CORS is part of the resolver. Unset = same-origin only (local UI).
_ORIGIN = os.environ.get("ALLOWED_ORIGIN", "")
_CORS = (
    CORSConfig(allow_origin=_ORIGIN, allow_headers=["x-api-key", "Content-Type"], max_age=600)
    if _ORIGIN
    else None
)
app = APIGatewayRestResolver(cors=_CORS)

PUBLIC_PATHS = frozenset({"/api/health"})


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type="application/json", body=body)


def require_api_key(router: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """On AWS API Gateway checks the key first; this check matters where it does not (locally)."""
    # One count per routed request, so every invocation publishes at least one metric.
    metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
    expected = os.environ.get("API_KEY")
    event = router.current_event
    # CORS preflight carries no key (browsers never send custom headers on OPTIONS).
    if expected and event.http_method != "OPTIONS" and event.path not in PUBLIC_PATHS:
        given = event.headers.get("x-api-key") or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _json(403, {"message": "Forbidden"})
    return next_middleware(router)


app.use(middlewares=[require_api_key])


def _store() -> AwsStore:
    return AwsStore(ApiSettings.from_env())


@app.exception_handler(q.ApiError)
def _api_error(exc: q.ApiError) -> Response:
    logger.info("request refused", extra={"status": exc.status, "reason": exc.message})
    return _json(exc.status, {"message": exc.message})


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    logger.exception("unexpected error")
    return _json(500, {"message": "Internal server error"})


@app.not_found
def _not_found(exc: Exception) -> Response:
    return _json(404, {"message": "Not found"})


@app.get("/api/health")
def health() -> dict[str, Any]:
    return {"status": "ok"}


@app.get("/api/frames")
@tracer.capture_method
def list_frames() -> dict[str, Any]:
    params = q.parse_params(q.FramesParams, app.current_event.query_string_parameters)
    page = service.list_frames(_store(), params)
    metrics.add_metric(name="FramesServed", unit=MetricUnit.Count, value=len(page["frames"]))
    return page


@app.get("/api/frames/<frame_id>")
@tracer.capture_method
def get_frame(frame_id: str) -> dict[str, Any]:
    return service.get_frame(_store(), frame_id)


@app.get("/api/cameras")
@tracer.capture_method
def list_cameras() -> dict[str, Any]:
    return service.list_cameras(_store())


@app.get("/api/alerts")
@tracer.capture_method
def list_alerts() -> dict[str, Any]:
    params = q.parse_params(q.PageParams, app.current_event.query_string_parameters)
    return service.list_alerts(_store(), params)


@app.get("/api/incidents")
@tracer.capture_method
def list_incidents() -> dict[str, Any]:
    params = q.parse_params(q.IncidentsParams, app.current_event.query_string_parameters)
    return service.list_incidents(_store(), params)


@app.get("/api/incidents/<incident_id>")
@tracer.capture_method
def get_incident(incident_id: str) -> dict[str, Any]:
    params = q.parse_params(q.IncidentFramesParams, app.current_event.query_string_parameters)
    return service.get_incident(_store(), incident_id, params)


@app.get("/api/people")
@tracer.capture_method
def list_people() -> dict[str, Any]:
    return service.list_people(_store())


@app.post("/api/people")
@tracer.capture_method
def create_person() -> Response:
    created = service.create_person(_store(), app.current_event.decoded_body)
    metrics.add_metric(name="PeopleCreated", unit=MetricUnit.Count, value=1)
    return _json(201, created)


@app.post("/api/people/<person_id>/photos")
@tracer.capture_method
def add_photo(person_id: str) -> Response:
    return _json(201, service.add_photo(_store(), person_id))


@app.delete("/api/people/<person_id>")
@tracer.capture_method
def delete_person(person_id: str) -> dict[str, Any]:
    return service.delete_person(_store(), person_id)


@app.post("/api/uploads")
@tracer.capture_method
def create_upload() -> Response:
    metrics.add_metric(name="UploadsCreated", unit=MetricUnit.Count, value=1)
    return _json(201, service.create_upload(_store()))


@app.get("/api/executions/<execution_arn>")
@tracer.capture_method
def get_execution(execution_arn: str) -> dict[str, Any]:
    params = q.parse_params(q.ExecutionParams, app.current_event.query_string_parameters)
    return service.get_execution(_store(), execution_arn, params)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
