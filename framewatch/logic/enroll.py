"""Enrollment: exactly one face per photo, indexed under the person's id."""

from __future__ import annotations

import re
from typing import Any

from framewatch.logic.ports import Vision
from framewatch.settings import EnrollSettings

_ENROLL_KEY = re.compile(r"^enroll/([a-z0-9][a-z0-9-]{0,62})/[^/]+$")


class BadEnrollmentKey(ValueError):
    """The object is not under enroll/<person-id>/."""


def person_id_from_key(key: str) -> str:
    match = _ENROLL_KEY.match(key)
    if not match:
        raise BadEnrollmentKey(f"enrollment photos go under enroll/<person-id>/; got {key!r}")
    return match.group(1)


def enroll_face(bucket: str, key: str, vision: Vision, settings: EnrollSettings) -> dict[str, Any]:
    person_id = person_id_from_key(key)
    outcome: dict[str, Any] = {"person_id": person_id, "s3_key": key}
    faces = vision.detect_faces((bucket, key))
    if not faces:
        return {**outcome, "status": "no_face"}
    if len(faces) > 1:
        return {**outcome, "status": "several_faces", "faces": len(faces)}
    records = vision.index_face((bucket, key), collection_id=settings.collection_id, external_id=person_id)
    if not records:
        return {**outcome, "status": "no_face"}  # found, but below the indexing quality bar
    return {**outcome, "status": "enrolled", "face_id": records[0]["Face"]["FaceId"]}
