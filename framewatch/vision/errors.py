"""Rekognition error types: HTTP 400 with ``{"__type": name, "message": ...}`` on the wire.

botocore turns ``__type`` into ``client.exceptions.<name>``, so callers catch the same classes
against this service as against AWS.
"""

from __future__ import annotations


class RekognitionError(Exception):
    """An error the client sees as a Rekognition exception of the same name."""

    type_name = "InternalServerError"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, str]:
        return {"__type": self.type_name, "message": self.message}


class InvalidImageFormatException(RekognitionError):
    """Not a JPEG or PNG, or bytes that do not decode."""

    type_name = "InvalidImageFormatException"


class ImageTooLargeException(RekognitionError):
    """More than 5 MB of Bytes or 15 MB of S3 object."""

    type_name = "ImageTooLargeException"


class InvalidParameterException(RekognitionError):
    """A parameter out of range, or no face where one is required."""

    type_name = "InvalidParameterException"


class ResourceNotFoundException(RekognitionError):
    """Unknown collection or face id."""

    type_name = "ResourceNotFoundException"


class ResourceAlreadyExistsException(RekognitionError):
    """CreateCollection for an id that exists."""

    type_name = "ResourceAlreadyExistsException"


class InvalidS3ObjectException(RekognitionError):
    """The S3 object is missing or unreadable."""

    type_name = "InvalidS3ObjectException"


class ProvisionedThroughputExceededException(RekognitionError):
    """Over --max-concurrency, or an injected fault."""

    type_name = "ProvisionedThroughputExceededException"


class InvalidPaginationTokenException(RekognitionError):
    """A NextToken this service did not issue."""

    type_name = "InvalidPaginationTokenException"


class AccessDeniedException(RekognitionError):
    """S3 refused the read."""

    type_name = "AccessDeniedException"


class InternalServerError(RekognitionError):
    """A bug or an unexpected failure in this service."""

    type_name = "InternalServerError"
    status = 500


class UnknownOperationException(RekognitionError):
    """A Rekognition operation this service does not implement (DetectText, ...)."""

    type_name = "UnknownOperationException"
