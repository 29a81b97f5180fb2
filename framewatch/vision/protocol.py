"""Rekognition operations: request parameters in, response documents out (JSON 1.1 shapes).

No HTTP here: ``RekognitionService.call(operation, params)`` is what the server dispatches to,
and it raises ``RekognitionError`` subclasses that the server writes as Rekognition errors.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from framewatch.vision import images
from framewatch.vision.collections import Faces, StoredFace, new_face
from framewatch.vision.errors import (
    InvalidPaginationTokenException,
    InvalidParameterException,
    UnknownOperationException,
)
from framewatch.vision.faces import Face, FaceEngine, pose, quality, similarity
from framewatch.vision.labels import label_for_coco
from framewatch.vision.objects import Detection, Detector, confidence
from framewatch.vision.recent_faces import RecentFaces

FACE_MODEL_VERSION = "6.0"
LABEL_MODEL_VERSION = "3.0"
ACCOUNT = "000000000000"
_COLLECTION_ID = re.compile(r"^[a-zA-Z0-9_.\-]{1,255}$")
_EXTERNAL_IMAGE_ID = re.compile(r"^[a-zA-Z0-9_.\-:]{1,255}$")
_FACE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_LANDMARKS = ("eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight")  # YuNet's order
MAX_FACE_DETAILS = 100
# The operations that run a model (and decode an image); the rest only read or write the store.
MODEL_OPERATIONS = frozenset({"DetectLabels", "DetectFaces", "IndexFaces", "SearchFacesByImage"})

# QualityFilter -> (smallest face side in px, lowest detector score, strict checks).
_QUALITY_FILTERS: dict[str, tuple[float, float, bool] | None] = {
    "NONE": None,
    "LOW": (16, 0.6, False),
    "AUTO": (24, 0.7, False),
    "MEDIUM": (24, 0.7, False),
    "HIGH": (40, 0.85, True),
}


def default_model_slots(threads_per_call: int = 1) -> int:
    """One model call per core this process may use, each running ``threads_per_call`` threads."""
    return max(1, len(os.sched_getaffinity(0)) // threads_per_call)


@dataclass(frozen=True)
class RequestContext:
    region: str = "us-east-1"


# -- parameter helpers ------------------------------------------------------------------------
def _number(
    params: dict[str, Any], name: str, default: float | None, low: float, high: float, integer: bool = False
) -> Any:
    value = params.get(name, default)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not float(value).is_integer())
    ):
        raise InvalidParameterException(f"{name} must be a number")
    if not low <= value <= high:
        raise InvalidParameterException(f"{name} must be between {low:g} and {high:g}")
    return int(value) if integer else float(value)


def _collection_id(params: dict[str, Any]) -> str:
    value = params.get("CollectionId")
    if not isinstance(value, str) or not _COLLECTION_ID.match(value):
        raise InvalidParameterException(
            "CollectionId must be 1-255 characters of letters, digits, '_', '.' or '-'"
        )
    return value


def _choice(params: dict[str, Any], name: str, default: str, allowed: set[str] | dict) -> str:
    value = params.get(name, default)
    if value not in allowed:
        raise InvalidParameterException(f"{name} must be one of {', '.join(sorted(allowed))}")
    return str(value)


def _token(value: Any) -> str:
    if value is None:
        return ""
    try:
        return base64.urlsafe_b64decode(str(value).encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidPaginationTokenException("Invalid pagination token") from None


def _next_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def _ratio_box(box: tuple[float, float, float, float], width: int, height: int) -> dict[str, float]:
    """Pixels (x, y, w, h) to Rekognition's ratios of the image size."""
    x, y, w, h = box
    return {"Width": w / width, "Height": h / height, "Left": x / width, "Top": y / height}


# -- shaping ----------------------------------------------------------------------------------
def build_labels(
    detections: list[Detection], width: int, height: int, min_confidence: float, floor: float
) -> list[dict[str, Any]]:
    """Detections -> Labels: one per class with its Instances, plus each ancestor as a label."""
    labels: dict[str, dict[str, Any]] = {}
    for found in detections:
        score = confidence(found.score, floor)
        if score < min_confidence:
            continue
        info = label_for_coco(found.class_name)
        label = labels.setdefault(
            info.name,
            {
                "Name": info.name,
                "Confidence": 0.0,
                "Instances": [],
                "Parents": [{"Name": p} for p in info.parents],
                "Aliases": [],
                "Categories": [{"Name": c} for c in info.categories],
            },
        )
        x1, y1, x2, y2 = found.box
        label["Instances"].append(
            {
                "BoundingBox": _ratio_box((x1, y1, x2 - x1, y2 - y1), width, height),
                "Confidence": score,
            }
        )
        label["Confidence"] = max(label["Confidence"], score)
        # Rekognition lists parents as labels too, as confident as their best child.
        for depth, parent in enumerate(info.parents):
            entry = labels.setdefault(
                parent,
                {
                    "Name": parent,
                    "Confidence": 0.0,
                    "Instances": [],
                    "Parents": [{"Name": p} for p in info.parents[depth + 1 :]],
                    "Aliases": [],
                    "Categories": [{"Name": c} for c in info.categories],
                },
            )
            entry["Confidence"] = max(entry["Confidence"], score)
    return sorted(labels.values(), key=lambda item: (-item["Confidence"], not item["Instances"]))


def face_detail(face: Face, pixels: np.ndarray) -> dict[str, Any]:
    height, width = pixels.shape[:2]
    head, look = pose(face), quality(pixels, face)
    return {
        "BoundingBox": _ratio_box(face.box, width, height),
        "Landmarks": [
            {"Type": kind, "X": float(x) / width, "Y": float(y) / height}
            for kind, (x, y) in zip(_LANDMARKS, face.landmarks, strict=True)
        ],
        "Pose": {"Roll": head.roll, "Yaw": head.yaw, "Pitch": head.pitch},
        "Quality": {"Brightness": look.brightness, "Sharpness": look.sharpness},
        "Confidence": face.score * 100,
    }


def _face_record(face: StoredFace) -> dict[str, Any]:
    left, top, width, height = face.box
    record: dict[str, Any] = {
        "FaceId": face.face_id,
        "BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
        "ImageId": face.image_id,
        "Confidence": face.confidence,
        "IndexFacesModelVersion": FACE_MODEL_VERSION,
    }
    if face.external_image_id is not None:
        record["ExternalImageId"] = face.external_image_id
    return record


def _unindexed_reasons(face: Face, pixels: np.ndarray, level: str) -> list[str]:
    limits = _QUALITY_FILTERS[level]
    if limits is None:
        return []
    min_side, min_score, strict = limits
    reasons = []
    if min(face.box[2], face.box[3]) < min_side:
        reasons.append("SMALL_BOUNDING_BOX")
    if face.score < min_score:
        reasons.append("LOW_CONFIDENCE")
    if strict:
        look, head = quality(pixels, face), pose(face)
        if look.sharpness < 20:
            reasons.append("LOW_SHARPNESS")
        if not 15 <= look.brightness <= 95:
            reasons.append("LOW_BRIGHTNESS")
        if abs(head.yaw) > 45 or abs(head.pitch) > 45:
            reasons.append("EXTREME_POSE")
    return reasons


class RekognitionService:
    """The operations this service implements, keyed by their Rekognition names."""

    def __init__(
        self, store: Faces, faces: FaceEngine, detector: Detector, model_slots: int | None = None
    ) -> None:
        self.store = store
        self.faces = faces
        self.detector = detector
        # Calls that run a model wait for a slot instead of all running at once: past one call per
        # core they only contend, and each concurrent call holds its own model buffers (~80 MB for a
        # face pair plus the detector's), so memory would follow the peak number of callers.
        self.model_slots = model_slots or default_model_slots()
        self._slots = threading.BoundedSemaphore(self.model_slots)
        self.recent_faces = RecentFaces()
        self.operations: dict[str, Callable[[dict[str, Any], RequestContext], dict[str, Any]]] = {
            "DetectLabels": self.detect_labels,
            "DetectFaces": self.detect_faces,
            "CreateCollection": self.create_collection,
            "DeleteCollection": self.delete_collection,
            "ListCollections": self.list_collections,
            "DescribeCollection": self.describe_collection,
            "IndexFaces": self.index_faces,
            "ListFaces": self.list_faces,
            "DeleteFaces": self.delete_faces,
            "SearchFacesByImage": self.search_faces_by_image,
            "SearchFaces": self.search_faces,
        }

    def call(
        self, operation: str, params: dict[str, Any], context: RequestContext | None = None
    ) -> dict[str, Any]:
        handler = self.operations.get(operation)
        if handler is None:
            raise UnknownOperationException(
                f"operation {operation} is not supported here; "
                f"supported: {', '.join(sorted(self.operations))}"
            )
        with self._slots if operation in MODEL_OPERATIONS else contextlib.nullcontext():
            return handler(params, context or RequestContext())

    # -- labels -----------------------------------------------------------------------------
    def detect_labels(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        max_labels = _number(params, "MaxLabels", None, 0, 1_000_000, integer=True)
        min_confidence = _number(params, "MinConfidence", 55.0, 0, 100)
        image = images.load(params.get("Image"))
        detections = self.detector.detect(image.pixels)
        labels = build_labels(detections, image.width, image.height, min_confidence, self.detector.min_score)
        general = (params.get("Settings") or {}).get("GeneralLabels") or {}
        if general.get("LabelInclusionFilters"):
            wanted = set(general["LabelInclusionFilters"])
            labels = [label for label in labels if label["Name"] in wanted]
        if general.get("LabelExclusionFilters"):
            unwanted = set(general["LabelExclusionFilters"])
            labels = [label for label in labels if label["Name"] not in unwanted]
        if max_labels is not None:
            labels = labels[:max_labels]
        return {"Labels": labels, "LabelModelVersion": LABEL_MODEL_VERSION}

    # -- faces ------------------------------------------------------------------------------
    def detect_faces(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        image, found = self._faces_in(params.get("Image"))
        found = found[:MAX_FACE_DETAILS]
        return {"FaceDetails": [face_detail(face, image.pixels) for face in found]}

    def _faces_in(self, parameter: Any) -> tuple[images.DecodedImage, list[Face]]:
        """The decoded image and its faces, largest first; a recently seen image is not detected
        again (the pipeline searches the frame it just asked DetectFaces about)."""
        data = images.image_bytes(parameter)
        image = images.decode(data)
        return image, self.recent_faces.detect(data, lambda: self.faces.detect(image.pixels))

    def index_faces(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        collection_id = _collection_id(params)
        external_id = params.get("ExternalImageId")
        if external_id is not None and (
            not isinstance(external_id, str) or not _EXTERNAL_IMAGE_ID.match(external_id)
        ):
            raise InvalidParameterException(
                "ExternalImageId must be 1-255 characters of letters, digits, '_.-:'"
            )
        max_faces = _number(params, "MaxFaces", None, 1, 100, integer=True)
        level = _choice(params, "QualityFilter", "AUTO", _QUALITY_FILTERS)
        self.store.describe_collection(collection_id)  # unknown collection: fail before the work
        image = images.load(params.get("Image"))
        pixels = image.pixels
        image_id = str(uuid.uuid4())
        records, unindexed = [], []
        stored: list[Any] = []
        for face in self.faces.detect(pixels)[:MAX_FACE_DETAILS]:  # largest first, as AWS
            reasons = _unindexed_reasons(face, pixels, level)
            if not reasons and max_faces is not None and len(stored) >= max_faces:
                reasons = ["EXCEEDS_MAX_FACES"]
            detail = face_detail(face, pixels)
            if reasons:
                unindexed.append({"Reasons": reasons, "FaceDetail": detail})
                continue
            box = detail["BoundingBox"]
            entry = new_face(
                image_id,
                external_id,
                face.score * 100,
                (box["Left"], box["Top"], box["Width"], box["Height"]),
                self.faces.embed(pixels, face),
            )
            stored.append(entry)
            records.append({"Face": _face_record(entry), "FaceDetail": detail})
        if stored:
            self.store.add_faces(collection_id, stored)
        return {"FaceRecords": records, "FaceModelVersion": FACE_MODEL_VERSION, "UnindexedFaces": unindexed}

    def search_faces_by_image(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        collection_id = _collection_id(params)
        max_faces = _number(params, "MaxFaces", 4096, 1, 4096, integer=True)
        threshold = _number(params, "FaceMatchThreshold", 80.0, 0, 100)
        level = _choice(params, "QualityFilter", "NONE", _QUALITY_FILTERS)
        self.store.describe_collection(collection_id)
        image, found = self._faces_in(params.get("Image"))
        if not found:
            raise InvalidParameterException("There are no faces in the image. Should be at least 1.")
        largest = found[0]  # Rekognition searches with the largest face only
        if _unindexed_reasons(largest, image.pixels, level):
            raise InvalidParameterException(
                f"The largest face in the image does not meet the {level} quality filter"
            )
        embedding = self.faces.embed(image.pixels, largest)
        matches = self._matches(collection_id, embedding, threshold, max_faces)
        return {
            "SearchedFaceBoundingBox": _ratio_box(largest.box, image.width, image.height),
            "SearchedFaceConfidence": largest.score * 100,
            "FaceMatches": matches,
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    def search_faces(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        collection_id = _collection_id(params)
        face_id = params.get("FaceId")
        if not isinstance(face_id, str) or not _FACE_ID.match(face_id):
            raise InvalidParameterException("FaceId must be a face id returned by IndexFaces")
        max_faces = _number(params, "MaxFaces", 4096, 1, 4096, integer=True)
        threshold = _number(params, "FaceMatchThreshold", 80.0, 0, 100)
        searched = self.store.get_face(collection_id, face_id)
        matches = self._matches(collection_id, searched.embedding, threshold, max_faces, exclude=face_id)
        return {"SearchedFaceId": face_id, "FaceMatches": matches, "FaceModelVersion": FACE_MODEL_VERSION}

    def _matches(
        self,
        collection_id: str,
        embedding: np.ndarray,
        threshold: float,
        max_faces: int,
        exclude: str | None = None,
    ) -> list[dict[str, Any]]:
        matches: list[dict[str, Any]] = []
        for face, cosine in self.store.search(collection_id, embedding, exclude=exclude):
            score = similarity(cosine)
            if score < threshold or len(matches) >= max_faces:
                break  # best first, so nothing after this qualifies
            matches.append({"Similarity": score, "Face": _face_record(face)})
        return matches

    # -- collections ------------------------------------------------------------------------
    def _arn(self, context: RequestContext, collection_id: str) -> str:
        return f"aws:rekognition:{context.region}:{ACCOUNT}:collection/{collection_id}"

    def create_collection(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        collection_id = _collection_id(params)
        self.store.create_collection(collection_id)
        return {
            "StatusCode": 200,
            "CollectionArn": self._arn(context, collection_id),
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    def delete_collection(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        self.store.delete_collection(_collection_id(params))
        return {"StatusCode": 200}

    def list_collections(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        limit = _number(params, "MaxResults", 1000, 0, 4096, integer=True)
        ids = self.store.list_collections(after=_token(params.get("NextToken")), limit=limit)
        response: dict[str, Any] = {
            "CollectionIds": ids,
            "FaceModelVersions": [FACE_MODEL_VERSION] * len(ids),
        }
        if ids and len(ids) == limit:
            response["NextToken"] = _next_token(ids[-1])
        return response

    def describe_collection(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        collection_id = _collection_id(params)
        count, created = self.store.describe_collection(collection_id)
        return {
            "FaceCount": count,
            "FaceModelVersion": FACE_MODEL_VERSION,
            "CollectionARN": self._arn(context, collection_id),
            "CreationTimestamp": created,
            "UserCount": 0,
        }

    def list_faces(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        collection_id = _collection_id(params)
        limit = _number(params, "MaxResults", 1000, 0, 4096, integer=True)
        token = _token(params.get("NextToken"))
        if token and not token.isdigit():
            raise InvalidPaginationTokenException("Invalid pagination token")
        face_ids = params.get("FaceIds") or None
        found = self.store.list_faces(
            collection_id, after_seq=int(token or 0), limit=limit, face_ids=face_ids
        )
        response: dict[str, Any] = {
            "Faces": [_face_record(f) for f in found],
            "FaceModelVersion": FACE_MODEL_VERSION,
        }
        if found and len(found) == limit:
            response["NextToken"] = _next_token(str(found[-1].seq))
        return response

    def delete_faces(self, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
        collection_id = _collection_id(params)
        face_ids = params.get("FaceIds")
        if not isinstance(face_ids, list) or not 1 <= len(face_ids) <= 4096:
            raise InvalidParameterException("FaceIds must list 1 to 4096 face ids")
        deleted = self.store.delete_faces(collection_id, [str(f) for f in face_ids])
        missing = [f for f in face_ids if f not in set(deleted)]
        return {
            "DeletedFaces": deleted,
            "UnsuccessfulFaceDeletions": [{"FaceId": f, "Reasons": ["FACE_NOT_FOUND"]} for f in missing],
        }
