"""Rekognition calls. The endpoint (AWS, or framewatch's local vision service) comes from the
environment (``AWS_ENDPOINT_URL_REKOGNITION``); nothing here knows which one it talks to."""

from __future__ import annotations

from typing import Any

from framewatch.aws.clients import client


def detect_labels(bucket: str, key: str, *, max_labels: int, min_confidence: float) -> list[dict[str, Any]]:
    response = client("rekognition").detect_labels(
        Image={"S3Object": {"Bucket": bucket, "Name": key}},
        MaxLabels=max_labels,
        MinConfidence=min_confidence,
    )
    return list(response.get("Labels", []))


def detect_faces(image: bytes) -> list[dict[str, Any]]:
    response = client("rekognition").detect_faces(Image={"Bytes": image}, Attributes=["DEFAULT"])
    return list(response.get("FaceDetails", []))


def search_largest_face(image: bytes, *, collection_id: str, threshold: float) -> dict[str, Any] | None:
    """The best collection match for the largest face in ``image``, or None."""
    rekognition = client("rekognition")
    try:
        response = rekognition.search_faces_by_image(
            CollectionId=collection_id, Image={"Bytes": image},
            FaceMatchThreshold=threshold, MaxFaces=1,
        )
    except rekognition.exceptions.InvalidParameterException:
        return None  # no face in the crop: the detector and the crop disagreed at the edge
    matches = response.get("FaceMatches", [])
    return matches[0] if matches else None


def index_face(bucket: str, key: str, *, collection_id: str, external_id: str) -> list[dict[str, Any]]:
    response = client("rekognition").index_faces(
        CollectionId=collection_id,
        Image={"S3Object": {"Bucket": bucket, "Name": key}},
        ExternalImageId=external_id,
        MaxFaces=1,
        QualityFilter="AUTO",
        DetectionAttributes=["DEFAULT"],
    )
    return list(response.get("FaceRecords", []))


def detect_faces_in_object(bucket: str, key: str) -> list[dict[str, Any]]:
    response = client("rekognition").detect_faces(
        Image={"S3Object": {"Bucket": bucket, "Name": key}}, Attributes=["DEFAULT"],
    )
    return list(response.get("FaceDetails", []))
