"""Face collections on disk: one SQLite file in WAL mode under the data dir.

WAL lets searches read while IndexFaces writes; every write runs in ``BEGIN IMMEDIATE`` so
concurrent writers (threads or processes sharing the data dir) queue instead of interleaving.
Each call opens its own short-lived connection, which keeps threads from sharing one.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from framewatch.vision.errors import ResourceAlreadyExistsException, ResourceNotFoundException

DB_FILE = "collections.sqlite3"
EMBEDDING_DTYPE = np.float32

_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    collection_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faces (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    face_id TEXT NOT NULL UNIQUE,
    collection_id TEXT NOT NULL REFERENCES collections(collection_id) ON DELETE CASCADE,
    image_id TEXT NOT NULL,
    external_image_id TEXT,
    confidence REAL NOT NULL,
    box_left REAL NOT NULL, box_top REAL NOT NULL, box_width REAL NOT NULL, box_height REAL NOT NULL,
    embedding BLOB NOT NULL,
    indexed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS faces_by_collection ON faces(collection_id, seq);
"""


@dataclass(frozen=True)
class StoredFace:
    face_id: str
    image_id: str
    external_image_id: str | None
    confidence: float  # 0-100
    box: tuple[float, float, float, float]  # left, top, width, height as ratios of the image
    embedding: np.ndarray
    seq: int = 0


def new_face(
    image_id: str,
    external_image_id: str | None,
    confidence: float,
    box: tuple[float, float, float, float],
    embedding: np.ndarray,
) -> StoredFace:
    return StoredFace(
        str(uuid.uuid4()),
        image_id,
        external_image_id,
        confidence,
        box,
        np.asarray(embedding, EMBEDDING_DTYPE),
    )


class Faces(Protocol):
    """Where a collection's faces are kept: SQLite for the vision service (``FaceStore``), the
    stack's bucket for the bundled detector in Lambda (``framewatch/aws/faces.py``)."""

    def create_collection(self, collection_id: str) -> None: ...
    def delete_collection(self, collection_id: str) -> None: ...
    def list_collections(self, after: str = "", limit: int = 1000) -> list[str]: ...
    def describe_collection(self, collection_id: str) -> tuple[int, float]: ...
    def add_faces(self, collection_id: str, faces: Sequence[StoredFace]) -> None: ...
    def list_faces(
        self, collection_id: str, after_seq: int = 0, limit: int = 1000, face_ids: Sequence[str] | None = None
    ) -> list[StoredFace]: ...
    def get_face(self, collection_id: str, face_id: str) -> StoredFace: ...
    def delete_faces(self, collection_id: str, face_ids: Sequence[str]) -> list[str]: ...
    def search(
        self, collection_id: str, embedding: np.ndarray, exclude: str | None = None
    ) -> list[tuple[StoredFace, float]]: ...


class FaceStore:
    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / DB_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL stays consistent
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _require(db: sqlite3.Connection, collection_id: str) -> float:
        row = db.execute(
            "SELECT created_at FROM collections WHERE collection_id = ?", (collection_id,)
        ).fetchone()
        if row is None:
            raise ResourceNotFoundException(f"The collection id: {collection_id} does not exist")
        return float(row[0])

    # -- collections --------------------------------------------------------------------------
    def create_collection(self, collection_id: str) -> None:
        with self._write() as db:
            try:
                db.execute("INSERT INTO collections VALUES (?, ?)", (collection_id, time.time()))
            except sqlite3.IntegrityError:
                raise ResourceAlreadyExistsException(
                    f"The collection id: {collection_id} already exists"
                ) from None

    def delete_collection(self, collection_id: str) -> None:
        with self._write() as db:
            self._require(db, collection_id)
            db.execute("DELETE FROM collections WHERE collection_id = ?", (collection_id,))

    def list_collections(self, after: str = "", limit: int = 1000) -> list[str]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT collection_id FROM collections WHERE collection_id > ? "
                "ORDER BY collection_id LIMIT ?",
                (after, limit),
            ).fetchall()
        return [row[0] for row in rows]

    def describe_collection(self, collection_id: str) -> tuple[int, float]:
        """Face count and creation time (epoch seconds)."""
        with self._connect() as db:
            created = self._require(db, collection_id)
            (count,) = db.execute(
                "SELECT COUNT(*) FROM faces WHERE collection_id = ?", (collection_id,)
            ).fetchone()
        return int(count), created

    # -- faces --------------------------------------------------------------------------------
    def add_faces(self, collection_id: str, faces: Sequence[StoredFace]) -> None:
        now = time.time()
        with self._write() as db:
            self._require(db, collection_id)
            db.executemany(
                "INSERT INTO faces (face_id, collection_id, image_id, external_image_id, "
                "confidence, box_left, box_top, box_width, box_height, embedding, indexed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f.face_id,
                        collection_id,
                        f.image_id,
                        f.external_image_id,
                        f.confidence,
                        *f.box,
                        np.asarray(f.embedding, EMBEDDING_DTYPE).tobytes(),
                        now,
                    )
                    for f in faces
                ],
            )

    def list_faces(
        self, collection_id: str, after_seq: int = 0, limit: int = 1000, face_ids: Sequence[str] | None = None
    ) -> list[StoredFace]:
        query = "SELECT * FROM faces WHERE collection_id = ? AND seq > ?"
        args: list[object] = [collection_id, after_seq]
        if face_ids:
            query += f" AND face_id IN ({','.join('?' * len(face_ids))})"
            args.extend(face_ids)
        with self._connect() as db:
            self._require(db, collection_id)
            db.row_factory = sqlite3.Row
            rows = db.execute(query + " ORDER BY seq LIMIT ?", (*args, limit)).fetchall()
        return [_face(row) for row in rows]

    def get_face(self, collection_id: str, face_id: str) -> StoredFace:
        found = self.list_faces(collection_id, face_ids=[face_id], limit=1)
        if not found:
            raise ResourceNotFoundException(
                f"The face id: {face_id} does not exist in collection {collection_id}"
            )
        return found[0]

    def delete_faces(self, collection_id: str, face_ids: Sequence[str]) -> list[str]:
        """Deletes what exists and returns those ids; unknown ids are not an error (as in AWS)."""
        with self._write() as db:
            self._require(db, collection_id)
            marks = ",".join("?" * len(face_ids))
            rows = db.execute(
                f"SELECT face_id FROM faces WHERE collection_id = ? AND face_id IN ({marks})",
                (collection_id, *face_ids),
            ).fetchall()
            deleted = [row[0] for row in rows]
            db.execute(
                f"DELETE FROM faces WHERE collection_id = ? AND face_id IN ({marks})",
                (collection_id, *face_ids),
            )
        return deleted

    def search(
        self, collection_id: str, embedding: np.ndarray, exclude: str | None = None
    ) -> list[tuple[StoredFace, float]]:
        """Every face in the collection with its cosine to ``embedding``, best first."""
        faces = [f for f in self.list_faces(collection_id, limit=-1) if f.face_id != exclude]
        if not faces:
            return []
        matrix = np.stack([f.embedding for f in faces])
        cosines = matrix @ np.asarray(embedding, EMBEDDING_DTYPE)
        order = np.argsort(-cosines)
        return [(faces[i], float(cosines[i])) for i in order]


def _face(row: sqlite3.Row) -> StoredFace:
    return StoredFace(
        face_id=row["face_id"],
        image_id=row["image_id"],
        external_image_id=row["external_image_id"],
        confidence=row["confidence"],
        box=(row["box_left"], row["box_top"], row["box_width"], row["box_height"]),
        embedding=np.frombuffer(row["embedding"], EMBEDDING_DTYPE),
        seq=row["seq"],
    )
