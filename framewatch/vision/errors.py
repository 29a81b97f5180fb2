"""Rekognition error types: HTTP 400 with ``{"__type": name, "message": ...}`` on the wire.

botocore turns ``__type`` into ``client.exceptions.<name>``, so callers catch the same classes
against this service as against AWS.
"""

from __future__ import annotations


class RekognitionError(Exception):
    """An error the client sees as a Rekognition exception of the same name: the subclass's name
    is the ``__type`` on the wire."""

    type_name = "InternalServerError"
    status = 400

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.type_name = cls.__name__

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, str]:
        return {"__type": self.type_name, "message": self.message}


class InvalidImageFormatException(RekognitionError):
    """Not a JPEG or PNG, or bytes that do not decode."""


class ImageTooLargeException(RekognitionError):
    """More than 5 MB of Bytes or 15 MB of S3 object."""


class InvalidParameterException(RekognitionError):
    """A parameter out of range, or no face where one is required."""


class ResourceNotFoundException(RekognitionError):
    """Unknown collection or face id."""


class ResourceAlreadyExistsException(RekognitionError):
    """CreateCollection for an id that exists."""


class InvalidS3ObjectException(RekognitionError):
    """The S3 object is missing or unreadable."""


class ProvisionedThroughputExceededException(RekognitionError):
    """Over --max-concurrency, or an injected fault."""


class InvalidPaginationTokenException(RekognitionError):
    """A NextToken this service did not issue."""


class AccessDeniedException(RekognitionError):
    """S3 refused the read."""


class InternalServerError(RekognitionError):
    """A bug or an unexpected failure in this service."""

    status = 500


class UnknownOperationException(RekognitionError):
    """A Rekognition operation this service does not implement (DetectText, ...)."""
