"""Reads what the pipeline recorded (frames, incidents, alerts, dead letters), for the demo and
`framewatch alerts`."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from framewatch.aws.clients import client


@dataclass(frozen=True)
class FrameRow:
    camera_id: str
    frame_id: str
    frame_key: str
    labels: list[dict[str, Any]]
    faces: list[dict[str, Any]]
    execution_id: str


@dataclass(frozen=True)
class AlertRow:
    alert_key: str
    status: str
    camera_id: str
    subject: str
    rule: str
    message: str
    subject_line: str
    incident_id: str


def _scan(table: str) -> list[dict[str, Any]]:
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [item for page in pages for item in page.get("Items", [])]


def frames(table: str) -> list[FrameRow]:
    rows = [
        FrameRow(
            camera_id=item["camera_id"]["S"],
            frame_id=item["frame_id"]["S"],
            frame_key=item["frame_key"]["S"],
            labels=json.loads(item.get("labels", {}).get("S", "[]")),
            faces=json.loads(item.get("faces", {}).get("S", "[]")),
            execution_id=item.get("execution_id", {}).get("S", ""),
        )
        for item in _scan(table)
    ]
    return sorted(rows, key=lambda r: r.frame_key)


def alerts(table: str) -> list[AlertRow]:
    rows = [
        AlertRow(
            alert_key=item["alert_key"]["S"],
            status=item["status"]["S"],
            camera_id=item["camera_id"]["S"],
            subject=item["subject"]["S"],
            rule=item["rule"]["S"],
            message=item["message"]["S"],
            subject_line=item.get("subject_line", {}).get("S", ""),
            incident_id=item.get("incident_id", {}).get("S", ""),
        )
        for item in _scan(table)
    ]
    return sorted(rows, key=lambda r: r.alert_key)


def dead_letter_count(queue_url: str) -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def dead_letters(queue_url: str, limit: int = 10) -> list[dict[str, Any]]:
    """A look at the queue without taking messages away (visibility timeout 0)."""
    response = client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=min(limit, 10), VisibilityTimeout=0
    )
    return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def label_counts(rows: list[FrameRow]) -> dict[str, int]:
    """How many frames each label was seen in."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update({label["name"] for label in row.labels})
    return dict(counts.most_common())


def describe_frame(row: FrameRow) -> str:
    labels = ", ".join(f"{label['name']} {label['confidence']:.0f}%" for label in row.labels) or "nothing"
    faces = ", ".join(
        (f"{face['person_name']} ({face['similarity']:.0f}%)" if face.get("person_id") else "unknown face")
        for face in row.faces
    )
    return f"{row.camera_id} {row.frame_id}: {labels}" + (f" | faces: {faces}" if faces else "")


@dataclass(frozen=True)
class IncidentRow:
    incident_id: str
    camera_id: str
    rule: str
    label: str
    person_name: str | None
    severity: str
    state: str
    stationary: bool
    first_seen: str
    last_seen: str
    frame_count: int
    alert_status: str


def incidents(table: str) -> list[IncidentRow]:
    rows = [
        IncidentRow(
            incident_id=item["incident_id"]["S"],
            camera_id=item["camera_id"]["S"],
            rule=item["rule"]["S"],
            label=item["label"]["S"],
            person_name=item.get("person_name", {}).get("S"),
            severity=item["severity"]["S"],
            state=item["state"]["S"],
            stationary=item.get("stationary", {}).get("BOOL", False),
            first_seen=item["first_seen"]["S"],
            last_seen=item["last_seen"]["S"],
            frame_count=int(item["frame_count"]["N"]),
            alert_status=item.get("alert_status", {}).get("S", "none"),
        )
        for item in _scan(table)
    ]
    return sorted(rows, key=lambda r: (r.first_seen, r.incident_id))


def incident_counts(rows: list[IncidentRow]) -> dict[str, int]:
    """Incidents per label (a registered person counts under their name)."""
    return dict(Counter(row.person_name or row.label for row in rows).most_common())


def describe_incident(row: IncidentRow) -> str:
    who = row.person_name or row.label
    still = ", stationary" if row.stationary else ""
    return f"{who} at {row.camera_id} (rule {row.rule}, {row.severity}{still}) {row.incident_id}"
