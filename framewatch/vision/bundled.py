"""The bundled detector inside a Lambda function: the use cases' ``Vision`` port served in-process.

The same ``RekognitionService`` the local vision service runs behind its HTTP endpoint is called
directly, with Rekognition-shaped requests and answers, so ``logic/detect.py`` and
``logic/enroll.py`` run unchanged on either backend. Registered faces live in the stack's bucket
(``framewatch/aws/faces.py``) instead of a Rekognition collection. The models load once per
process (a Lambda execution environment keeps them between invocations).
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from framewatch.logic.ports import ImageSource
from framewatch.vision.errors import InvalidParameterException
from framewatch.vision.protocol import RekognitionService

_services: dict[str, RekognitionService] = {}
_lock = threading.Lock()


def service(bucket: str) -> RekognitionService:
    """The in-process service for faces kept in ``bucket`` (models loaded on first use)."""
    with _lock:
        if bucket not in _services:
            from framewatch.aws.faces import S3FaceStore
            from framewatch.vision.detectors import load_detector
            from framewatch.vision.faces import FaceEngine

            # One inference thread: a Lambda function at up to 1769 MB has one vCPU.
            _services[bucket] = RekognitionService(
                S3FaceStore(bucket), FaceEngine(), load_detector(threads=1)
            )
        return _services[bucket]


def image_of(source: ImageSource) -> dict[str, Any]:
    if isinstance(source, bytes):
        return {"Bytes": base64.b64encode(source).decode()}
    bucket, key = source
    return {"S3Object": {"Bucket": bucket, "Name": key}}


class BundledVision:
    """``Vision`` on this machine's CPU; the face collection is the bucket's ``faces/`` prefix."""

    def __init__(self, bucket: str) -> None:
        self.service = service(bucket)

    def detect_labels(
        self, image: ImageSource, *, max_labels: int, min_confidence: float
    ) -> list[dict[str, Any]]:
        params = {"Image": image_of(image), "MaxLabels": max_labels, "MinConfidence": min_confidence}
        return list(self.service.call("DetectLabels", params)["Labels"])

    def detect_faces(self, image: ImageSource) -> list[dict[str, Any]]:
        return list(self.service.call("DetectFaces", {"Image": image_of(image)})["FaceDetails"])

    def search_largest_face(
        self, image: ImageSource, *, collection_id: str, threshold: float
    ) -> dict[str, Any] | None:
        params = {
            "CollectionId": collection_id,
            "Image": image_of(image),
            "FaceMatchThreshold": threshold,
            "MaxFaces": 1,
        }
        try:
            matches = self.service.call("SearchFacesByImage", params)["FaceMatches"]
        except InvalidParameterException:
            return None  # no face in the crop, as with Rekognition
        return dict(matches[0]) if matches else None

    def index_face(self, image: ImageSource, *, collection_id: str, external_id: str) -> list[dict[str, Any]]:
        params = {
            "CollectionId": collection_id,
            "Image": image_of(image),
            "ExternalImageId": external_id,
            "MaxFaces": 1,
            "QualityFilter": "AUTO",
        }
        return list(self.service.call("IndexFaces", params)["FaceRecords"])
