"""DynamoDB reads the handlers need (workflow writes are native ASL tasks, not code)."""

from __future__ import annotations

from framewatch.aws.clients import client


def people_names(table: str, person_ids: set[str]) -> dict[str, str]:
    """person id → display name, for the ids that exist."""
    if not person_ids:
        return {}
    keys = [{"person_id": {"S": pid}} for pid in sorted(person_ids)]
    names: dict[str, str] = {}
    for start in range(0, len(keys), 100):  # BatchGetItem takes at most 100 keys
        projection = "person_id, display_name"
        request = {table: {"Keys": keys[start : start + 100], "ProjectionExpression": projection}}
        while request:
            response = client("dynamodb").batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table, []):
                names[item["person_id"]["S"]] = item.get("display_name", {}).get("S", item["person_id"]["S"])
            request = response.get("UnprocessedKeys") or {}
    return names


class DynamoPeople:
    """The use cases' People: the people table."""

    def __init__(self, table: str) -> None:
        self.table = table

    def names(self, person_ids: set[str]) -> dict[str, str]:
        return people_names(self.table, person_ids)
