"""The ``Image`` request parameter: inline ``Bytes`` or an ``S3Object``, decoded to a BGR array.

Limits and messages follow Rekognition: JPEG or PNG only, 5 MB of inline bytes, 15 MB from S3.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import numpy as np

from framewatch.vision.errors import (
    AccessDeniedException,
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidParameterException,
    InvalidS3ObjectException,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_S3_BYTES = 15 * 1024 * 1024
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # H x W x 3, BGR, uint8

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def image_bytes(image: Any) -> bytes:
    """The raw bytes named by an ``Image`` parameter, with Rekognition's size checks."""
    if not isinstance(image, dict) or ("Bytes" in image) == ("S3Object" in image):
        raise InvalidParameterException("Image must have exactly one of Bytes or S3Object")
    if "Bytes" in image:
        raw = image["Bytes"]
        if not isinstance(raw, str):
            raise InvalidParameterException("Image.Bytes must be base64 text")
        # base64 is 4/3 of the payload: refuse before decoding a huge string.
        if len(raw) > (MAX_BYTES * 4) // 3 + 4:
            raise ImageTooLargeException("Image size is too large: the limit is 5 MB for Bytes")
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidImageFormatException("Request has invalid image format") from exc
        if len(data) > MAX_BYTES:
            raise ImageTooLargeException("Image size is too large: the limit is 5 MB for Bytes")
        return data
    return _s3_bytes(image["S3Object"])


def _s3_bytes(s3_object: Any) -> bytes:
    if not isinstance(s3_object, dict) or not s3_object.get("Bucket") or not s3_object.get("Name"):
        raise InvalidParameterException("S3Object needs Bucket and Name")
    from botocore.exceptions import BotoCoreError, ClientError

    from framewatch.aws.clients import client

    request = {"Bucket": s3_object["Bucket"], "Key": s3_object["Name"]}
    if s3_object.get("Version"):
        request["VersionId"] = s3_object["Version"]
    try:
        response = client("s3").get_object(**request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        where = f"s3://{request['Bucket']}/{request['Key']}"
        if code in ("AccessDenied", "403"):
            raise AccessDeniedException(f"Unable to get object metadata from S3: {where}") from exc
        raise InvalidS3ObjectException(
            f"Unable to get object metadata from S3. Check object key, region and/or access "
            f"permissions. ({where}: {code})"
        ) from exc
    except BotoCoreError as exc:
        raise InvalidS3ObjectException(f"Unable to read the S3 object: {exc}") from exc
    body = response["Body"]
    try:
        if int(response.get("ContentLength") or 0) > MAX_S3_BYTES:
            raise ImageTooLargeException("Image size is too large: the limit is 15 MB for S3")
        data = body.read(MAX_S3_BYTES + 1)
    finally:
        body.close()
    if len(data) > MAX_S3_BYTES:
        raise ImageTooLargeException("Image size is too large: the limit is 15 MB for S3")
    return data


def decode(data: bytes) -> DecodedImage:
    """JPEG or PNG bytes to BGR pixels; EXIF rotation is ignored, as Rekognition's boxes are."""
    import cv2

    if not (data.startswith(_JPEG) or data.startswith(_PNG)):
        raise InvalidImageFormatException("Request has invalid image format")
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if pixels is None or pixels.size == 0:
        raise InvalidImageFormatException("Request has invalid image format")
    return DecodedImage(pixels)


def load(image: Any) -> DecodedImage:
    """Decode the image an ``Image`` request parameter names."""
    return decode(image_bytes(image))
