"""Labels and faces for one stored frame, through whichever Rekognition endpoint is configured."""

from __future__ import annotations

from framewatch.core.detections import Face, Label, box_from_rekognition, labels_from_rekognition
from framewatch.core.frame_ref import FrameRef
from framewatch.imaging import crop_jpeg
from framewatch.logic.ports import ImageSource, ObjectReader, People, Vision
from framewatch.settings import FaceSettings, LabelSettings


def find_labels(frame: FrameRef, vision: Vision, settings: LabelSettings) -> list[Label]:
    raw = vision.detect_labels(
        (frame.bucket, frame.s3_key),
        max_labels=settings.max_labels,
        min_confidence=settings.min_label_confidence,
    )
    return labels_from_rekognition(raw)


def identify_faces(
    frame: FrameRef, vision: Vision, images: ObjectReader, people: People, settings: FaceSettings
) -> list[Face]:
    """Find every face, then search each one on its own: SearchFacesByImage only ever searches the
    largest face of the image it is given, so a crowd needs one crop per face. Rekognition reads
    the frame from S3 itself; the function downloads it only to cut crops."""
    stored = (frame.bucket, frame.s3_key)
    details = vision.detect_faces(stored)
    if not details:
        return []
    image = images.get_object_bytes(*stored) if len(details) > 1 else None
    found = []
    for detail in details:
        box = box_from_rekognition(detail["BoundingBox"])
        probe: ImageSource = crop_jpeg(image, box) if image is not None else stored
        match = vision.search_largest_face(
            probe, collection_id=settings.collection_id, threshold=settings.face_match_threshold
        )
        found.append((box, detail.get("Confidence", 0.0), match))
    person_ids = {m["Face"]["ExternalImageId"] for _, _, m in found if m and m["Face"].get("ExternalImageId")}
    names = people.names(person_ids)
    faces = []
    for box, confidence, match in found:
        person_id = match["Face"].get("ExternalImageId") if match else None
        faces.append(
            Face(
                box=box,
                confidence=confidence,
                face_id=match["Face"]["FaceId"] if match else None,
                person_id=person_id,
                person_name=names.get(person_id, person_id) if person_id else None,
                similarity=round(match["Similarity"], 2) if match else None,
            )
        )
    return faces
