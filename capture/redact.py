"""Keep camera credentials out of every message: URLs are shown with user and password masked."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_QUERY_KEYS = re.compile(r"user|pass|pwd|token|key|auth|sig|secret", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``rtsp://admin:pw@cam/x?token=1`` → ``rtsp://***@cam/x?token=***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if _SECRET_QUERY_KEYS.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def scrub(message: str, secrets: tuple[str | None, ...]) -> str:
    """Remove any secret that an error message might echo back."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message
