"""Where the bundled detector keeps a registered face: one object per face, under its person."""

from __future__ import annotations

PREFIX = "faces/"


def face_prefix(collection_id: str, person_id: str | None) -> str:
    """Every face of one person (or ``_`` for faces indexed without an external id)."""
    return f"{PREFIX}{collection_id}/{person_id or '_'}/"


def face_key(collection_id: str, person_id: str | None, face_id: str) -> str:
    return f"{face_prefix(collection_id, person_id)}{face_id}.json"
