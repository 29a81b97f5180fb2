"""The frames API's only door to AWS: DynamoDB, S3, Rekognition and Step Functions.

Items come back as plain dicts (numbers as int/float, string sets as lists). Clients come from
``framewatch.aws.clients`` so endpoints follow the environment (AWS, LocalStack or embedded).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from framewatch.api.queries import Unavailable
from framewatch.api.settings import ApiSettings
from framewatch.aws import stepfunctions
from framewatch.aws.clients import ClientError, client

Item = dict[str, Any]


def _from_av(value: dict[str, Any]) -> Any:
    """One DynamoDB attribute value to Python (the low-level client keeps its type tags)."""
    ((tag, inner),) = value.items()
    if tag == "S":
        return inner
    if tag == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else float(number)
    if tag in ("SS", "NS"):
        return sorted(inner) if tag == "SS" else sorted(_from_av({"N": n}) for n in inner)
    if tag == "L":
        return [_from_av(v) for v in inner]
    if tag == "M":
        return {k: _from_av(v) for k, v in inner.items()}
    if tag == "BOOL":
        return bool(inner)
    if tag == "NULL":
        return None
    return inner  # B / BS: not used by these tables


def _item(raw: dict[str, Any]) -> Item:
    return {k: _from_av(v) for k, v in raw.items()}


def _s(text: str) -> dict[str, str]:
    return {"S": text}


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class AwsStore:
    """Reads and writes for the API; one instance per request (clients themselves are cached)."""

    # Items one page of a filtered query reads (DynamoDB applies Limit before the filter).
    filtered_page_items = 100

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._ddb = client("dynamodb")
        self._s3 = client("s3")

    # --- frames ---------------------------------------------------------------------------

    def _query(
        self, limit: int, forward: bool = False, start: dict[str, Any] | None = None, **query: Any
    ) -> list[Item]:
        """Up to ``limit`` items in key order (newest first unless ``forward``), following
        DynamoDB's own pages until enough items matched or the partition ends.

        ``Limit`` counts items read before a FilterExpression, so a filtered query reads bigger
        pages and drops what it does not need; the caller's cursor is its last item, not ours.
        """
        filtered = "FilterExpression" in query
        items: list[Item] = []
        while len(items) < limit:
            wanted = limit - len(items)
            page_args = dict(
                query,
                ScanIndexForward=forward,
                Limit=max(wanted, self.filtered_page_items) if filtered else wanted,
            )
            if start:
                page_args["ExclusiveStartKey"] = start
            page = self._ddb.query(**page_args)
            items.extend(_item(raw) for raw in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return items[:limit]

    def _keyed_query(
        self,
        table: str,
        index: str | None,
        pk_name: str,
        pk: str,
        sk_name: str,
        before: str | None,
        limit: int,
        filters: dict[str, str] | None = None,
    ) -> list[Item]:
        """Newest first below ``before``; ``filters`` are attribute = value tests on the rest."""
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": _s(pk)}
        condition = "#pk = :pk"
        if before is not None:
            names["#sk"] = sk_name
            values[":before"] = _s(before)
            condition += " AND #sk < :before"
        query: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if index:
            query["IndexName"] = index
        if filters:
            tests = []
            for n, (attribute, wanted) in enumerate(sorted(filters.items())):
                names[f"#f{n}"] = attribute
                values[f":f{n}"] = _s(wanted)
                tests.append(f"#f{n} = :f{n}")
            query["FilterExpression"] = " AND ".join(tests)
        return self._query(limit, **query)

    def _complete_frames(self, items: list[Item]) -> list[Item]:
        """Index items lacking attributes (KEYS_ONLY/INCLUDE projection) are read in full."""
        partial = [i for i in items if "s3_key" not in i or "labels" not in i]
        if not partial:
            return items
        full = {(f["camera_id"], f["frame_key"]): f for f in self._batch_get_frames(partial)}
        return [full.get((i["camera_id"], i["frame_key"]), i) for i in items]

    def _batch_get_frames(self, keys: list[Item]) -> Iterator[Item]:
        table = self.settings.frames_table
        for at in range(0, len(keys), 100):
            pending: dict[str, Any] = {
                table: {
                    "Keys": [
                        {"camera_id": _s(k["camera_id"]), "frame_key": _s(k["frame_key"])}
                        for k in keys[at : at + 100]
                    ]
                }
            }
            while pending:
                reply = self._ddb.batch_get_item(RequestItems=pending)
                yield from (_item(raw) for raw in reply.get("Responses", {}).get(table, []))
                pending = reply.get("UnprocessedKeys") or {}

    def frames_on_day(self, day: str, before: str | None, limit: int) -> list[Item]:
        items = self._keyed_query(self.settings.frames_table, "ByDay", "day", day, "frame_key", before, limit)
        return self._complete_frames(items)

    def frames_of_camera(self, camera_id: str, before: str | None, limit: int) -> list[Item]:
        return self._keyed_query(
            self.settings.frames_table, None, "camera_id", camera_id, "frame_key", before, limit
        )

    def frame_by_id(self, frame_id: str) -> Item | None:
        items = self._keyed_query(
            self.settings.frames_table, "ByFrameId", "frame_id", frame_id, "frame_key", None, 1
        )
        return self._complete_frames(items)[0] if items else None

    def camera_ids_on_day(self, day: str, max_items: int) -> list[str]:
        """Distinct cameras among a day's newest ``max_items`` frames, newest first."""
        seen: dict[str, None] = {}
        start: dict[str, Any] | None = None
        read = 0
        while read < max_items:
            args: dict[str, Any] = {
                "TableName": self.settings.frames_table,
                "IndexName": "ByDay",
                "KeyConditionExpression": "#d = :d",
                "ExpressionAttributeNames": {"#d": "day"},
                "ExpressionAttributeValues": {":d": _s(day)},
                "ScanIndexForward": False,
                "Limit": min(500, max_items - read),
                "ProjectionExpression": "camera_id",
            }
            if start:
                args["ExclusiveStartKey"] = start
            page = self._ddb.query(**args)
            for raw in page.get("Items", []):
                seen.setdefault(_item(raw).get("camera_id", ""), None)
            read += len(page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return [c for c in seen if c]

    # --- alerts ---------------------------------------------------------------------------

    def alerts_on_day(self, day: str, before: str | None, limit: int) -> list[Item]:
        return self._keyed_query(self.settings.alerts_table, None, "day", day, "alert_key", before, limit)

    # --- incidents ------------------------------------------------------------------------

    def incidents_on_day(
        self, day: str, before: str | None, limit: int, filters: dict[str, str] | None = None
    ) -> list[Item]:
        return self._keyed_query(
            self.settings.incidents_table, "ByDay", "day", day, "started_key", before, limit, filters
        )

    def incidents_of_camera(
        self, camera_id: str, before: str | None, limit: int, filters: dict[str, str] | None = None
    ) -> list[Item]:
        return self._keyed_query(
            self.settings.incidents_table,
            "ByCamera",
            "camera_id",
            camera_id,
            "started_key",
            before,
            limit,
            filters,
        )

    def incident(self, incident_id: str) -> Item | None:
        reply = self._ddb.get_item(
            TableName=self.settings.incidents_table, Key={"incident_id": _s(incident_id)}
        )
        return _item(reply["Item"]) if "Item" in reply else None

    def frames_between(
        self, camera_id: str, low: str, high: str, after: str | None, limit: int
    ) -> list[Item]:
        """A camera's frames with ``low <= frame_key <= high``, oldest first, after ``after``."""
        start = {"camera_id": _s(camera_id), "frame_key": _s(after)} if after else None
        return self._query(
            limit,
            forward=True,
            start=start,
            TableName=self.settings.frames_table,
            KeyConditionExpression="camera_id = :c AND frame_key BETWEEN :low AND :high",
            ExpressionAttributeValues={":c": _s(camera_id), ":low": _s(low), ":high": _s(high)},
        )

    # --- people ---------------------------------------------------------------------------

    def people(self) -> list[Item]:
        items: list[Item] = []
        start: dict[str, Any] | None = None
        while True:
            args: dict[str, Any] = {"TableName": self.settings.people_table}
            if start:
                args["ExclusiveStartKey"] = start
            page = self._ddb.scan(**args)
            items.extend(_item(raw) for raw in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def person(self, person_id: str) -> Item | None:
        reply = self._ddb.get_item(
            TableName=self.settings.people_table, Key={"person_id": _s(person_id)}, ConsistentRead=True
        )
        return _item(reply["Item"]) if "Item" in reply else None

    def create_person(self, person: Item) -> bool:
        """Put a new person; False when the id is taken (the caller draws another suffix)."""
        try:
            self._ddb.put_item(
                TableName=self.settings.people_table,
                Item={k: _s(str(v)) for k, v in person.items()},
                ConditionExpression="attribute_not_exists(person_id)",
            )
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark_pending(self, person_id: str, now_iso: str) -> None:
        self._ddb.update_item(
            TableName=self.settings.people_table,
            Key={"person_id": _s(person_id)},
            UpdateExpression="SET #s = :s, updated_at = :u",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": _s("pending"), ":u": _s(now_iso)},
        )

    def delete_person(self, person_id: str) -> None:
        self._ddb.delete_item(TableName=self.settings.people_table, Key={"person_id": _s(person_id)})

    def delete_faces(self, face_ids: list[str]) -> None:
        """Remove faces from the collection; a missing collection means nothing to remove."""
        if not face_ids or not self.settings.collection_id:
            return
        try:
            for at in range(0, len(face_ids), 4096):  # DeleteFaces takes at most 4096 ids
                client("rekognition").delete_faces(
                    CollectionId=self.settings.collection_id, FaceIds=face_ids[at : at + 4096]
                )
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return
            raise Unavailable(
                f"could not remove the faces from the collection: {_error_code(exc) or exc}"
            ) from exc

    def delete_objects(self, prefix: str) -> int:
        """Delete every object under ``prefix`` (a person's enrollment photos)."""
        deleted = 0
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.settings.media_bucket, Prefix=prefix
        ):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self._s3.delete_objects(
                    Bucket=self.settings.media_bucket, Delete={"Objects": keys, "Quiet": True}
                )
                deleted += len(keys)
        return deleted

    # --- media ----------------------------------------------------------------------------

    def presigned_get(self, bucket: str | None, key: str | None) -> str | None:
        if not key:
            return None
        return str(
            self._s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": bucket or self.settings.media_bucket, "Key": key},
                ExpiresIn=self.settings.url_expiry_seconds,
            )
        )

    def presigned_put(self, key: str, content_type: str = "image/jpeg") -> str:
        return str(
            self._s3.generate_presigned_url(
                "put_object",
                Params={"Bucket": self.settings.media_bucket, "Key": key, "ContentType": content_type},
                ExpiresIn=self.settings.url_expiry_seconds,
            )
        )

    # --- executions -----------------------------------------------------------------------

    def execution(self, arn: str, since: datetime | None = None) -> tuple[Item, list[Item]] | None:
        """An ended execution read back from the workflow's log group (the only place an Express
        execution's history is kept, on AWS and in the embedded stack alike; ``since`` bounds the read);
        otherwise DescribeExecution + the full history (a Standard workflow, or one still running).
        None when neither knows it."""
        if self.settings.execution_log_group:
            try:
                found = stepfunctions.history_in_log_group(self.settings.execution_log_group, arn, since)
            except ClientError as exc:
                if _error_code(exc) != "ResourceNotFoundException":
                    raise Unavailable(f"CloudWatch Logs refused: {_error_code(exc) or exc}") from exc
                found = None
            if found is not None:
                return self._with_definition(*found)
            if ":express:" in arn:  # Step Functions never knows an Express execution
                return None
        sfn = client("stepfunctions")
        try:
            desc = sfn.describe_execution(executionArn=arn)
            events: list[Item] = []
            for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
                events.extend(page.get("events", []))
        except ClientError as exc:
            if _error_code(exc) in (
                "ExecutionDoesNotExist",
                "ResourceNotFound",
                "InvalidArn",
                "StateMachineTypeNotSupported",
            ):
                return None
            raise Unavailable(f"Step Functions refused: {_error_code(exc) or exc}") from exc
        return self._with_definition(dict(desc), events)

    def _with_definition(self, desc: Item, events: list[Item]) -> tuple[Item, list[Item]]:
        """The execution plus its workflow's ASL for the graph view; the history alone if the
        state machine cannot be described (gone, or no states:DescribeStateMachine permission)."""
        try:
            machine = stepfunctions.describe(str(desc.get("stateMachineArn")))
            desc = {**desc, "definition": machine.get("definition")}
        except (ClientError, ValueError):
            pass
        return desc, events
