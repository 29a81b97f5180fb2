"""MJPEG over HTTP (multipart/x-mixed-replace), read with urllib and decoded with cv2.imdecode.

Why not ``cv2.VideoCapture(url)``: FFmpeg takes credentials only inside the URL (and logs it),
reports neither the HTTP status (401 and 404 look alike) nor a stall, and cannot be told how long
to wait; parsing the multipart stream here gives clear errors, a read timeout and our own
reconnect with backoff.
"""

from __future__ import annotations

import base64
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import unquote, urlsplit, urlunsplit

from capture.redact import redact_url

MAX_PART_BYTES = 20 * 1024 * 1024


class StreamUnavailable(Exception):
    """The stream could not be opened or broke off; the message is safe to show."""


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """The URL without user info, and the user and password from it or from the environment."""
    parts = urlsplit(url)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    host = parts.netloc.rsplit("@", 1)[-1]
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    user = user or os.environ.get("FRAMEWATCH_CAMERA_USER") or None
    password = password or os.environ.get("FRAMEWATCH_CAMERA_PASSWORD") or None
    return bare, user, password


def open_stream(
    url: str, user: str | None, password: str | None, timeout: float
) -> tuple[BinaryIO, bytes | None]:
    """Connect and check the response is a multipart stream; returns it and its boundary."""
    shown = redact_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": "framewatch-capture"})
    if user or password:
        token = base64.b64encode(f"{user or ''}:{password or ''}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            hint = (
                "set FRAMEWATCH_CAMERA_USER / FRAMEWATCH_CAMERA_PASSWORD or put them in the URL"
                if not (user or password)
                else "check FRAMEWATCH_CAMERA_USER / _PASSWORD"
            )
            raise StreamUnavailable(
                f"camera at {shown} refused the credentials (HTTP {exc.code}); {hint}"
            ) from None
        raise StreamUnavailable(f"camera at {shown} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise StreamUnavailable(f"cannot reach camera at {shown}: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise StreamUnavailable(f"cannot reach camera at {shown}: {exc}") from None
    content_type = response.headers.get("Content-Type", "")
    if not content_type.lower().startswith("multipart/"):
        response.close()
        raise StreamUnavailable(
            f"{shown} is not an MJPEG stream (Content-Type {content_type!r}, "
            "expected multipart/x-mixed-replace)"
        )
    boundary = response.headers.get_param("boundary")
    return response, (str(boundary).strip('"').encode() if boundary else None)


def _is_boundary(line: bytes, boundary: bytes | None) -> bool:
    stripped = line.strip()
    if not stripped.startswith(b"--"):
        return False
    if boundary is None:
        return True
    # Cameras differ on whether the boundary parameter already includes the leading dashes.
    return stripped.strip(b"-") == boundary.strip(b"-")


def _is_closing(line: bytes) -> bool:
    stripped = line.strip()
    return len(stripped) > 4 and stripped.endswith(b"--")


def iter_parts(stream: BinaryIO, boundary: bytes | None) -> Iterator[bytes]:
    """The body of each part; raises StreamUnavailable when the stream ends or breaks off."""
    at_part_start = False  # True once a boundary line has been consumed
    while True:
        if not at_part_start:
            line = stream.readline()
            if not line:
                raise StreamUnavailable("the camera closed the stream")
            if not _is_boundary(line, boundary):
                continue  # preamble or the CRLF after a body
            if _is_closing(line):
                raise StreamUnavailable("the camera ended the stream")
        headers: dict[bytes, bytes] = {}
        while True:
            line = stream.readline()
            if not line:
                raise StreamUnavailable("the camera closed the stream mid-frame")
            if not line.strip():
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = headers.get(b"content-length")
        if length and length.isdigit():
            size = int(length)
            if size > MAX_PART_BYTES:
                raise StreamUnavailable(f"a frame of {size} bytes is larger than any sane JPEG")
            body = stream.read(size)
            if len(body) < size:
                raise StreamUnavailable("the camera closed the stream mid-frame")
            at_part_start = False
            yield body
            continue
        # No Content-Length: the body runs until the next boundary line.
        chunks: list[bytes] = []
        total = 0
        while True:
            line = stream.readline()
            if not line:
                raise StreamUnavailable("the camera closed the stream mid-frame")
            if _is_boundary(line, boundary):
                break
            chunks.append(line)
            total += len(line)
            if total > MAX_PART_BYTES:
                raise StreamUnavailable("a frame without Content-Length never ended")
        body = b"".join(chunks)
        at_part_start = True
        yield body[:-2] if body.endswith(b"\r\n") else body.rstrip(b"\n")
        if _is_closing(line):
            raise StreamUnavailable("the camera ended the stream")
