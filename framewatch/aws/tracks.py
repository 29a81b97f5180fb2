"""DynamoDB adapter of the tracker's store: camera tracks, incidents and the alert outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from framewatch.aws.clients import client
from framewatch.core.frame_record import utc_iso
from framewatch.core.frame_ref import parse_captured_at
from framewatch.core.incidents import AlertDue, CameraState, IncidentRecord
from framewatch.logic.track import StoredState

# DynamoDB transactions take at most 100 actions: the state, the alerts, and as many incidents as fit.
TRANSACTION_LIMIT = 100
_serializer = TypeSerializer()


def _serialize(value: Any) -> dict[str, Any]:
    # boto3 refuses floats (binary floats are not exact); a float's shortest repr is what we mean.
    serialized = _serializer.serialize(Decimal(repr(value)) if isinstance(value, float) else value)
    return cast("dict[str, Any]", serialized)


_deserialize = TypeDeserializer().deserialize


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _serialize(value) for key, value in values.items() if value is not None}


def _incident_update(table: str, record: IncidentRecord, now: str) -> dict[str, Any]:
    """Only the tracker's fields: the alert states own alert_status once it is not pending."""
    fields = record.model_dump(mode="json", exclude={"incident_id", "alert_due"})
    fields["best_box"] = json.dumps(fields["best_box"])
    fields["zones_entered"] = json.dumps(fields["zones_entered"])
    fields["updated_at"] = now
    sets = [f"#{name} = :{name}" for name in fields if fields[name] is not None]
    removes = [f"#{name}" for name in fields if fields[name] is None]
    values = {f":{name}": _serialize(value) for name, value in fields.items() if value is not None}
    if record.alert_due:
        sets.append("alert_status = :pending")
        values[":pending"] = _serialize("pending")
    else:
        sets.append("alert_status = if_not_exists(alert_status, :none)")
        values[":none"] = _serialize("none")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return {
        "TableName": table,
        "Key": {"incident_id": _serialize(record.incident_id)},
        "UpdateExpression": expression,
        "ExpressionAttributeNames": {f"#{name}": name for name in fields},
        "ExpressionAttributeValues": values,
    }


class DynamoTrackStore:
    def __init__(self, tracks_table: str, incidents_table: str, outbox_table: str = "") -> None:
        """``outbox_table`` may be empty for a writer that never decides alerts (the quiet sweep)."""
        self.tracks_table = tracks_table
        self.incidents_table = incidents_table
        self.outbox_table = outbox_table

    def load(self, camera_id: str) -> StoredState | None:
        response = client("dynamodb").get_item(
            TableName=self.tracks_table, Key={"camera_id": {"S": camera_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        return StoredState(
            state=CameraState.model_validate_json(item["state"]["S"]),
            version=int(item["version"]["N"]),
            updated_at=item.get("updated_at", {}).get("S"),
        )

    def commit(
        self,
        camera_id: str,
        expected_version: int | None,
        state: CameraState,
        incidents: list[IncidentRecord],
        alerts: list[AlertDue],
        expires_at: int,
    ) -> bool:
        now = utc_iso(datetime.now(UTC))
        version = (expected_version or 0) + 1
        put_state: dict[str, Any] = {
            "TableName": self.tracks_table,
            "Item": _item(
                {
                    "camera_id": camera_id,
                    "version": version,
                    "last_frame_key": state.last_frame_key,
                    "state": state.model_dump_json(),
                    "expires_at": expires_at,
                    "updated_at": now,
                }
            ),
        }
        if expected_version is None:
            put_state["ConditionExpression"] = "attribute_not_exists(camera_id)"
        else:
            put_state["ConditionExpression"] = "version = :read"
            put_state["ExpressionAttributeValues"] = {":read": _serialize(expected_version)}
        actions: list[dict[str, Any]] = [{"Put": put_state}]
        actions += [
            {"Put": {"TableName": self.outbox_table, "Item": _item({**a.model_dump(), "status": "pending"})}}
            for a in alerts
        ]
        updates = [_incident_update(self.incidents_table, r, now) for r in incidents]
        room = TRANSACTION_LIMIT - len(actions)
        actions += [{"Update": u} for u in updates[:room]]
        try:
            client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException" and (
                _state_condition_failed(exc) or _conflicted(exc)
            ):
                return False
            raise
        # What did not fit is derived from the state just committed: writing it again is harmless.
        for update in updates[room:]:
            client("dynamodb").update_item(**update)
        return True

    def quiet_cameras(self, updated_before: str) -> list[str]:
        # One item per camera: a filtered scan reads a few KB per camera.
        pages = (
            client("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=self.tracks_table,
                ProjectionExpression="camera_id",
                FilterExpression="updated_at < :cutoff",
                ExpressionAttributeValues={":cutoff": {"S": updated_before}},
            )
        )
        return sorted(item["camera_id"]["S"] for page in pages for item in page.get("Items", []))

    def pending_alerts(self, camera_id: str, stale_before: str) -> list[dict[str, Any]]:
        pages = (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self.outbox_table,
                KeyConditionExpression="camera_id = :camera",
                FilterExpression="#status = :pending OR (#status = :sending AND claimed_at < :stale)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":camera": {"S": camera_id},
                    ":pending": {"S": "pending"},
                    ":sending": {"S": "sending"},
                    ":stale": {"S": stale_before},
                },
                ConsistentRead=True,
            )
        )
        return [
            {key: _plain(_deserialize(value)) for key, value in item.items()}
            for page in pages
            for item in page.get("Items", [])
        ]


def _plain(value: Any) -> Any:
    """DynamoDB numbers arrive as Decimal; the workflow state wants JSON numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _conflicted(exc: ClientError) -> bool:
    """DynamoDB cancelled the transaction for a concurrent write to one of its items (the alert
    states' transaction to an incident): nothing was written, so the caller reads and tries again."""
    return any(
        reason.get("Code") == "TransactionConflict"
        for reason in exc.response.get("CancellationReasons") or []
    )


def _state_condition_failed(exc: ClientError) -> bool:
    """The first action is the state's Put: only its condition failing means another writer won."""
    reasons = exc.response.get("CancellationReasons") or []
    if reasons:
        return reasons[0].get("Code") == "ConditionalCheckFailed"
    return "ConditionalCheckFailed" in str(exc)


class DynamoAlertOutbox:
    """The cascade's confirm step: marks an outbox item confirmed, or dismisses it and its incident.
    A label's trust on a camera is one more item of the outbox table (``alert_id`` ``trust#<label>``,
    no status, so the workflow never takes it for an alert)."""

    def __init__(self, outbox_table: str, incidents_table: str) -> None:
        self.outbox_table = outbox_table
        self.incidents_table = incidents_table

    def _key(self, camera_id: str, alert_id: str) -> dict[str, Any]:
        return {"camera_id": {"S": camera_id}, "alert_id": {"S": alert_id}}

    def confirm(self, camera_id: str, alert_id: str) -> None:
        client("dynamodb").update_item(
            TableName=self.outbox_table,
            Key=self._key(camera_id, alert_id),
            UpdateExpression="SET confirmed = :yes",
            ConditionExpression="attribute_exists(alert_id)",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def dismiss(self, camera_id: str, alert_id: str, incident_id: str) -> None:
        dynamodb = client("dynamodb")
        try:
            dynamodb.update_item(
                TableName=self.outbox_table,
                Key=self._key(camera_id, alert_id),
                UpdateExpression="SET #status = :dismissed",
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":dismissed": {"S": "dismissed"}, ":pending": {"S": "pending"}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return  # claimed or sent meanwhile: too late to dismiss
        dynamodb.update_item(
            TableName=self.incidents_table,
            Key={"incident_id": {"S": incident_id}},
            UpdateExpression="SET alert_status = :dismissed",
            ConditionExpression="attribute_exists(incident_id)",
            ExpressionAttributeValues={":dismissed": {"S": "dismissed"}},
        )

    def trusted_until(self, camera_id: str, label: str) -> str | None:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self.outbox_table, Key=self._key(camera_id, f"trust#{label}"), ConsistentRead=True
            )
            .get("Item")
        )
        return item["trusted_until"]["S"] if item and "trusted_until" in item else None

    def trust(self, camera_id: str, label: str, until: str | None) -> None:
        key = self._key(camera_id, f"trust#{label}")
        if until is None:
            client("dynamodb").delete_item(TableName=self.outbox_table, Key=key)
            return
        expires = int(parse_captured_at(until).timestamp()) + 86_400
        client("dynamodb").put_item(
            TableName=self.outbox_table,
            Item={**key, "trusted_until": {"S": until}, "expires_at": {"N": str(expires)}},
        )
