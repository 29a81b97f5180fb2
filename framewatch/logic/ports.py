"""What the pipeline's use cases need from the outside world, as small protocols.

The boto3 adapters live in ``framewatch/aws/`` (one module per service); unit tests pass in-memory
fakes (tests/unit/pipeline_fakes.py). ``logic/track.py``'s ``TrackStore`` follows the same pattern.
"""

from __future__ import annotations

from typing import Any, Protocol

# An image Rekognition can read: JPEG bytes in hand, or an S3 object as (bucket, key).
ImageSource = bytes | tuple[str, str]


class ObjectReader(Protocol):
    def get_object_bytes(self, bucket: str, key: str) -> bytes: ...


class ObjectStore(ObjectReader, Protocol):
    """Frames' images (S3)."""

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str) -> None: ...

    def copy_object(self, bucket: str, source_key: str, key: str) -> None:
        """Server-side copy within one bucket."""
        ...


class DeadLetters(Protocol):
    """Where a record that cannot be processed goes, with its reason (SQS)."""

    def send(self, body: dict[str, Any]) -> None: ...


class People(Protocol):
    """Registered people (DynamoDB)."""

    def names(self, person_ids: set[str]) -> dict[str, str]:
        """person id → display name, for the ids that exist."""
        ...


class Vision(Protocol):
    """The Rekognition calls of the pipeline (Rekognition, or the local vision service)."""

    def detect_labels(
        self, image: ImageSource, *, max_labels: int, min_confidence: float
    ) -> list[dict[str, Any]]: ...

    def detect_faces(self, image: ImageSource) -> list[dict[str, Any]]: ...

    def search_largest_face(
        self, image: ImageSource, *, collection_id: str, threshold: float
    ) -> dict[str, Any] | None:
        """The best collection match for the largest face in the image, or None."""
        ...

    def index_face(self, image: ImageSource, *, collection_id: str, external_id: str) -> list[dict[str, Any]]:
        """FaceRecords of the one face indexed (empty if it is below the quality bar)."""
        ...
