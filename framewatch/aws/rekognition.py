"""Rekognition calls. The endpoint (AWS, or framewatch's local vision service) comes from the
environment (``AWS_ENDPOINT_URL_REKOGNITION``); nothing here knows which one it talks to."""

from __future__ import annotations

from typing import Any

from framewatch.aws.clients import client


def detect_labels(
    source: bytes | tuple[str, str], *, max_labels: int, min_confidence: float
) -> list[dict[str, Any]]:
    response = client("rekognition").detect_labels(
        Image=image_of(source),
        MaxLabels=max_labels,
        MinConfidence=min_confidence,
    )
    return list(response.get("Labels", []))


def image_of(source: bytes | tuple[str, str]) -> dict[str, Any]:
    """Rekognition's Image parameter for bytes in hand or an S3 object (bucket, key)."""
    if isinstance(source, bytes):
        return {"Bytes": source}
    bucket, key = source
    return {"S3Object": {"Bucket": bucket, "Name": key}}


def detect_faces(source: bytes | tuple[str, str]) -> list[dict[str, Any]]:
    response = client("rekognition").detect_faces(Image=image_of(source), Attributes=["DEFAULT"])
    return list(response.get("FaceDetails", []))


def search_largest_face(
    source: bytes | tuple[str, str], *, collection_id: str, threshold: float
) -> dict[str, Any] | None:
    """The best collection match for the largest face in the image, or None."""
    rekognition = client("rekognition")
    try:
        response = rekognition.search_faces_by_image(
            CollectionId=collection_id,
            Image=image_of(source),
            FaceMatchThreshold=threshold,
            MaxFaces=1,
        )
    except rekognition.exceptions.InvalidParameterException:
        return None  # no face in the crop: the detector and the crop disagreed at the edge
    matches = response.get("FaceMatches", [])
    return matches[0] if matches else None


def index_face(
    source: bytes | tuple[str, str], *, collection_id: str, external_id: str
) -> list[dict[str, Any]]:
    response = client("rekognition").index_faces(
        CollectionId=collection_id,
        Image=image_of(source),
        ExternalImageId=external_id,
        MaxFaces=1,
        QualityFilter="AUTO",
        DetectionAttributes=["DEFAULT"],
    )
    return list(response.get("FaceRecords", []))


class RekognitionVision:
    """The use cases' Vision over these calls."""

    def detect_labels(
        self, image: bytes | tuple[str, str], *, max_labels: int, min_confidence: float
    ) -> list[dict[str, Any]]:
        return detect_labels(image, max_labels=max_labels, min_confidence=min_confidence)

    def detect_faces(self, image: bytes | tuple[str, str]) -> list[dict[str, Any]]:
        return detect_faces(image)

    def search_largest_face(
        self, image: bytes | tuple[str, str], *, collection_id: str, threshold: float
    ) -> dict[str, Any] | None:
        return search_largest_face(image, collection_id=collection_id, threshold=threshold)

    def index_face(
        self, image: bytes | tuple[str, str], *, collection_id: str, external_id: str
    ) -> list[dict[str, Any]]:
        return index_face(image, collection_id=collection_id, external_id=external_id)
