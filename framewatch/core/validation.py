"""One-line messages from pydantic validation errors, for every user-facing input."""

from __future__ import annotations

from pydantic import ValidationError


def first_problem(exc: ValidationError, where_if_empty: str = "") -> tuple[str, str]:
    """Where the first problem is (a dotted field path) and what it is."""
    first = exc.errors()[0]
    return ".".join(str(p) for p in first["loc"]) or where_if_empty, str(first["msg"])
