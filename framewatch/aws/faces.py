"""Registered faces of the bundled detector, in the stack's own bucket (no Rekognition collection).

One small JSON object per face under ``faces/<collection id>/<person id>/<face id>.json`` with its
SFace embedding: enrolment writes one, deleting a person deletes the prefix (framewatch/api/service.py),
and searching reads them all, kept in memory
for ``CACHE_SECONDS`` (a household registers a few dozen faces; a new one is searched within 30 s).
The class has the shape of the vision service's SQLite ``FaceStore`` that ``RekognitionService`` uses.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Sequence

import numpy as np

from framewatch.aws.clients import client
from framewatch.core.faces import PREFIX, face_key
from framewatch.vision.collections import EMBEDDING_DTYPE, StoredFace

CACHE_SECONDS = 30.0


def _encode(face: StoredFace) -> bytes:
    return json.dumps(
        {
            "face_id": face.face_id,
            "image_id": face.image_id,
            "external_image_id": face.external_image_id,
            "confidence": face.confidence,
            "box": list(face.box),
            "embedding": base64.b64encode(np.asarray(face.embedding, EMBEDDING_DTYPE).tobytes()).decode(),
        }
    ).encode()


def _decode(body: bytes) -> StoredFace:
    data = json.loads(body)
    return StoredFace(
        face_id=data["face_id"],
        image_id=data["image_id"],
        external_image_id=data.get("external_image_id"),
        confidence=float(data["confidence"]),
        box=(data["box"][0], data["box"][1], data["box"][2], data["box"][3]),
        embedding=np.frombuffer(base64.b64decode(data["embedding"]), EMBEDDING_DTYPE),
    )


class S3FaceStore:
    """Collections exist implicitly (the prefix); the bucket is private like every frame in it."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self._cache: dict[str, tuple[float, list[StoredFace]]] = {}
        self._lock = threading.Lock()

    def create_collection(self, collection_id: str) -> None:
        """Nothing to create: a collection is a prefix."""

    def delete_collection(self, collection_id: str) -> None:
        self.delete_faces(collection_id, [f.face_id for f in self._read_all(collection_id)])

    def list_collections(self, after: str = "", limit: int = 1000) -> list[str]:
        pages = (
            client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=PREFIX, Delimiter="/")
        )
        names = [p["Prefix"][len(PREFIX) : -1] for page in pages for p in page.get("CommonPrefixes", [])]
        return [n for n in sorted(names) if n > after][:limit]

    def describe_collection(self, collection_id: str) -> tuple[int, float]:
        return len(self.list_faces(collection_id)), 0.0

    def add_faces(self, collection_id: str, faces: Sequence[StoredFace]) -> None:
        for face in faces:
            client("s3").put_object(
                Bucket=self.bucket,
                Key=face_key(collection_id, face.external_image_id, face.face_id),
                Body=_encode(face),
                ContentType="application/json",
            )
        with self._lock:
            self._cache.pop(collection_id, None)

    def list_faces(
        self, collection_id: str, after_seq: int = 0, limit: int = 1000, face_ids: Sequence[str] | None = None
    ) -> list[StoredFace]:
        with self._lock:
            cached = self._cache.get(collection_id)
        if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
            cached = (time.monotonic(), self._read_all(collection_id))
            with self._lock:
                self._cache[collection_id] = cached
        faces = cached[1]
        if face_ids:
            faces = [f for f in faces if f.face_id in set(face_ids)]
        return faces if limit < 0 else faces[:limit]  # -1: all, as the SQLite store reads it

    def _read_all(self, collection_id: str) -> list[StoredFace]:
        s3 = client("s3")
        faces = []
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{PREFIX}{collection_id}/"
        )
        for page in pages:
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read()
                faces.append(_decode(body))
        return faces

    def get_face(self, collection_id: str, face_id: str) -> StoredFace:
        from framewatch.vision.errors import ResourceNotFoundException

        found = self.list_faces(collection_id, face_ids=[face_id])
        if not found:
            raise ResourceNotFoundException(
                f"The face id: {face_id} does not exist in collection {collection_id}"
            )
        return found[0]

    def delete_faces(self, collection_id: str, face_ids: Sequence[str]) -> list[str]:
        wanted = set(face_ids)
        found = [f for f in self._read_all(collection_id) if f.face_id in wanted]
        for face in found:
            client("s3").delete_object(
                Bucket=self.bucket, Key=face_key(collection_id, face.external_image_id, face.face_id)
            )
        with self._lock:
            self._cache.pop(collection_id, None)
        return [f.face_id for f in found]

    def search(
        self, collection_id: str, embedding: np.ndarray, exclude: str | None = None
    ) -> list[tuple[StoredFace, float]]:
        """Every face with its cosine to ``embedding``, best first (the embeddings are unit length)."""
        faces = [f for f in self.list_faces(collection_id, limit=-1) if f.face_id != exclude]
        if not faces:
            return []
        cosines = np.stack([f.embedding for f in faces]) @ np.asarray(embedding, EMBEDDING_DTYPE)
        return [(faces[i], float(cosines[i])) for i in np.argsort(-cosines)]
