"""The parts of an S3 "Object Created" EventBridge event that the upload and enroll use cases read."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel


class _Bucket(BaseModel):
    name: str


class _Object(BaseModel):
    key: str


class ObjectCreatedDetail(BaseModel):
    bucket: _Bucket
    object: _Object


class ObjectCreatedEvent(EventBridgeModel):
    """EventBridge's event for a new S3 object; only the bucket and key are required."""

    detail: ObjectCreatedDetail
