"""Test stack for the frames API: moto server, tables and bucket as the template declares them,
items and JPEGs written the way the workflow writes them, and the local adapter on top."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import urllib3
from moto.server import ThreadedMotoServer

from framewatch.api.local_server import LocalApi, serve_in_thread
from framewatch.aws import clients
from framewatch.core.frame_record import frame_object_key, utc_iso

REGION = "us-east-1"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "FRAMES_TABLE": "framewatch-FramesTable",
    "PEOPLE_TABLE": "framewatch-PeopleTable",
    "ALERTS_TABLE": "framewatch-AlertsTable",
    "INCIDENTS_TABLE": "framewatch-IncidentsTable",
    "MEDIA_BUCKET": "framewatch-media",
    "COLLECTION_ID": "framewatch-faces",
    "URL_EXPIRY_SECONDS": "600",
    "EXECUTION_URL_TEMPLATE": "/executions.html?arn={execution_arn}&since={captured_at}",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
STATE_MACHINE = f"arn:aws:states:{REGION}:123456789012:stateMachine:framewatch-AnalyzeFrames"


def jpeg_frames(count: int, width: int = 640) -> list[bytes]:
    """Real JPEGs: ``count`` frames spread over the bundled bikes clip."""
    import cv2

    from framewatch.media import clip_path

    capture = cv2.VideoCapture(str(clip_path("bikes.mp4")))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or count
    images = []
    for i in range(count):
        capture.set(cv2.CAP_PROP_POS_FRAMES, (i * total) // count)
        ok, frame = capture.read()
        assert ok, "could not read the bikes clip"
        height = int(frame.shape[0] * width / frame.shape[1])
        ok, data = cv2.imencode(".jpg", cv2.resize(frame, (width, height)), [cv2.IMWRITE_JPEG_QUALITY, 80])
        images.append(data.tobytes())
    capture.release()
    return images


@dataclass
class Stack:
    endpoint: str
    api: LocalApi
    now: datetime
    frames: list[dict[str, Any]] = field(default_factory=list)  # newest first
    alerts: list[dict[str, Any]] = field(default_factory=list)  # newest first
    incidents: list[dict[str, Any]] = field(default_factory=list)  # newest first

    def boto(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = "default",
        body: Any = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["x-api-key"] = self.api.api_key if key == "default" else key
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        reply = urllib3.request(
            method, self.api.url + path, body=data, headers=headers, timeout=30, retries=False
        )
        try:
            payload = reply.json()
        except ValueError:
            payload = reply.data
        return reply.status, payload


def create_tables_and_bucket(ddb: Any, s3: Any, ui_origin: str) -> None:
    def string(name: str) -> dict[str, str]:
        return {"AttributeName": name, "AttributeType": "S"}

    def key(pk: str, sk: str | None = None) -> list[dict[str, str]]:
        schema = [{"AttributeName": pk, "KeyType": "HASH"}]
        return schema + ([{"AttributeName": sk, "KeyType": "RANGE"}] if sk else [])

    ddb.create_table(
        TableName=ENV["FRAMES_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[string(n) for n in ("camera_id", "frame_key", "day", "frame_id")],
        KeySchema=key("camera_id", "frame_key"),
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByDay",
                "KeySchema": key("day", "frame_key"),
                "Projection": {"ProjectionType": "ALL"},
            },
            {"IndexName": "ByFrameId", "KeySchema": key("frame_id"), "Projection": {"ProjectionType": "ALL"}},
        ],
    )
    ddb.create_table(
        TableName=ENV["PEOPLE_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[string("person_id")],
        KeySchema=key("person_id"),
    )
    ddb.create_table(
        TableName=ENV["ALERTS_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[string("day"), string("alert_key")],
        KeySchema=key("day", "alert_key"),
    )
    # As template.yaml's IncidentsTable: both indexes sort an incident by its start.
    ddb.create_table(
        TableName=ENV["INCIDENTS_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[string(n) for n in ("incident_id", "day", "camera_id", "started_key")],
        KeySchema=key("incident_id"),
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": key(pk, "started_key"),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, pk in (("ByDay", "day"), ("ByCamera", "camera_id"))
        ],
    )
    s3.create_bucket(Bucket=ENV["MEDIA_BUCKET"])
    # The browser PUTs to pre-signed URLs on another origin, so the bucket must allow it
    # (the template's MediaBucket needs the same rule for ALLOWED_ORIGIN).
    s3.put_bucket_cors(
        Bucket=ENV["MEDIA_BUCKET"],
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [ui_origin],
                    "AllowedMethods": ["GET", "PUT"],
                    "AllowedHeaders": ["content-type"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )


def frame_item(
    camera_id: str,
    frame_id: str,
    captured: datetime,
    labels: list[dict[str, Any]],
    faces: list[dict[str, Any]],
    width: int,
    height: int,
    s3_key: str | None = None,
    source: str = "kinesis",
) -> dict[str, Any]:
    """A Frames item as the "Record frame" state writes it (docs/data-model.md)."""
    at = utc_iso(captured)
    return {
        "camera_id": camera_id,
        "frame_key": f"{at}#{frame_id}",
        "frame_id": frame_id,
        "captured_at": at,
        "day": at[:10],
        "bucket": ENV["MEDIA_BUCKET"],
        "s3_key": s3_key or frame_object_key(camera_id, frame_id, captured),
        "width": width,
        "height": height,
        "labels": json.dumps(labels),
        "faces": json.dumps(faces),
        "execution_id": f"arn:aws:states:{REGION}:123456789012:express:framewatch-AnalyzeFrames:"
        f"{frame_id}:0b6f3c1e",
        "source": source,
        "expires_at": int(captured.timestamp()) + 7 * 86400,
    }


def put_frame(ddb: Any, s3: Any, item: dict[str, Any], jpeg: bytes) -> None:
    s3.put_object(Bucket=item["bucket"], Key=item["s3_key"], Body=jpeg, ContentType="image/jpeg")
    ddb.put_item(TableName=ENV["FRAMES_TABLE"], Item=_to_av(item))


def put_alert(
    ddb: Any, frame: dict[str, Any], subject: str, incident_id: str | None = None, n: int = 0
) -> dict[str, Any]:
    """An Alerts item as the alert states write it: one per alert actually sent."""
    incident_id = incident_id or f"{frame['frame_id']}-{subject}"[:60]
    alert_id = f"{incident_id}#{n}"
    item = {
        "day": frame["day"],
        "alert_key": f"{frame['captured_at']}#{alert_id}",
        "alert_id": alert_id,
        "incident_id": incident_id,
        "status": "sent",
        "camera_id": frame["camera_id"],
        "frame_id": frame["frame_id"],
        "frame_key": frame["frame_key"],
        "bucket": frame["bucket"],
        "s3_key": frame["s3_key"],
        "captured_at": frame["captured_at"],
        "rule": "labels",
        "label": subject,
        "severity": "alert",
        "subject": subject,
        "subject_line": f"{subject} seen on {frame['camera_id']}",
        "message": f"{subject} at {frame['captured_at']}",
        "link": f"https://ui.example/#incident/{incident_id}",
        "message_id": f"msg-{alert_id}",
        "execution_id": frame["execution_id"],
        "expires_at": frame["expires_at"],
    }
    ddb.put_item(TableName=ENV["ALERTS_TABLE"], Item=_to_av(item))
    return item


def incident_item(
    frames: list[dict[str, Any]],
    track_no: int,
    label: str,
    rule: str = "watch",
    *,
    severity: str = "alert",
    state: str = "ended",
    stationary: bool = False,
    person: tuple[str, str] | None = None,
    box: dict[str, float] | None = None,
) -> dict[str, Any]:
    """An Incidents item as "Track objects" and the alert states write it, over ``frames``
    (one camera's, any order); the middle frame is the best one."""
    ordered = sorted(frames, key=lambda f: f["frame_key"])
    first, last, best = ordered[0], ordered[-1], ordered[len(ordered) // 2]
    camera_id = first["camera_id"]
    started = first["captured_at"]
    stamp = started[:19].replace("-", "").replace(":", "")
    incident_id = f"{camera_id}-{stamp}-t{track_no}-{rule}"
    item: dict[str, Any] = {
        "incident_id": incident_id,
        "camera_id": camera_id,
        "day": started[:10],
        "started_key": f"{started}#{incident_id}",
        "rule": rule,
        "kind": "person" if person else "label",
        "label": label,
        "severity": severity,
        "state": state,
        "stationary": stationary,
        "first_seen": started,
        "last_seen": last["captured_at"],
        "frame_count": len(ordered),
        "zones_entered": json.dumps(["driveway"]),
        "best_frame_id": best["frame_id"],
        "best_frame_key": best["frame_key"],
        "best_bucket": best["bucket"],
        "best_s3_key": best["s3_key"],
        "best_box": json.dumps(box or {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}),
        "best_score": 93,
        "track_id": f"t{track_no}",
        "alert_status": "sent" if severity == "alert" else "none",
        "alert_count": 1 if severity == "alert" else 0,
        "updated_at": last["captured_at"],
        "expires_at": first["expires_at"],
    }
    if severity == "alert":
        item["alerted_at"] = started
    if person:
        item["person_id"], item["person_name"] = person
    return item


def put_incident(ddb: Any, item: dict[str, Any]) -> dict[str, Any]:
    ddb.put_item(TableName=ENV["INCIDENTS_TABLE"], Item=_to_av(item))
    return item


def put_person(
    ddb: Any, person_id: str, name: str, status: str, face_ids: list[str] | None = None, created_at: str = ""
) -> None:
    item: dict[str, Any] = {
        "person_id": {"S": person_id},
        "display_name": {"S": name},
        "status": {"S": status},
        "created_at": {"S": created_at or utc_iso(datetime.now(UTC))},
        "updated_at": {"S": created_at or utc_iso(datetime.now(UTC))},
    }
    if face_ids:
        item["face_ids"] = {"SS": face_ids}
    ddb.put_item(TableName=ENV["PEOPLE_TABLE"], Item=item)


def _to_av(item: dict[str, Any]) -> dict[str, Any]:
    def value(v: Any) -> dict[str, Any]:
        if isinstance(v, bool):  # before int: a bool is an int
            return {"BOOL": v}
        return {"N": str(v)} if isinstance(v, int | float) else {"S": str(v)}

    return {k: value(v) for k, v in item.items()}


@contextmanager
def running_stack(api_key: str | None = None, static_dir: Path | None = None) -> Iterator[Stack]:
    """moto + empty tables + the local adapter; environment restored afterwards."""
    # Per-service endpoints or a profile from the caller's shell would bypass moto.
    stray = [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_") or k == "AWS_PROFILE"]
    saved = {k: os.environ.get(k) for k in [*ENV, "AWS_ENDPOINT_URL", *stray]}
    for name in stray:
        del os.environ[name]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto's backends are process-wide: start from (and leave) an empty account.
    _reset_moto(endpoint)
    os.environ.update(ENV, AWS_ENDPOINT_URL=endpoint)
    clients.reset()
    api = None
    try:
        kwargs: dict[str, Any] = {"api_key": api_key}
        if static_dir is not None:
            kwargs["static_dir"] = static_dir
        api = serve_in_thread(**kwargs)
        stack = Stack(endpoint=endpoint, api=api, now=datetime.now(UTC).replace(microsecond=0))
        create_tables_and_bucket(stack.boto("dynamodb"), stack.boto("s3"), api.url)
        yield stack
    finally:
        if api is not None:
            api.stop()
        _reset_moto(endpoint)
        moto.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clients.reset()


def _reset_moto(endpoint: str) -> None:
    urllib3.request("POST", f"{endpoint}/moto-api/reset", retries=False).close()


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def days_ago(now: datetime, days: int, hours: float = 0) -> datetime:
    return now - timedelta(days=days, hours=hours)
