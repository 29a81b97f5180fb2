"""Kinesis Video Streams for the capture client: an HLS URL of a stream's live media."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from framewatch.aws.clients import client

# botocore's own name for the service-specific endpoint override of the archived-media API
ARCHIVED_MEDIA_ENDPOINT_ENV = "AWS_ENDPOINT_URL_KINESIS_VIDEO_ARCHIVED_MEDIA"


class KinesisVideoUnavailable(RuntimeError):
    """The stream is missing, has no live media yet, or the call was refused."""


def hls_url(stream_name: str, expires_seconds: int = 300) -> str:
    """GetDataEndpoint, then GetHLSStreamingSessionURL in LIVE mode on that endpoint (as the KVS docs
    require); the URL expires, so a reconnect asks for a new one. An endpoint configured for the
    archived-media API (an emulator) wins over the data endpoint the control plane names."""
    try:
        endpoint = client("kinesisvideo").get_data_endpoint(
            StreamName=stream_name, APIName="GET_HLS_STREAMING_SESSION_URL"
        )["DataEndpoint"]
        options: dict[str, Any] = (
            {} if os.environ.get(ARCHIVED_MEDIA_ENDPOINT_ENV) else {"endpoint_url": endpoint}
        )
        archived = boto3.session.Session().client("kinesis-video-archived-media", **options)
        answer = archived.get_hls_streaming_session_url(
            StreamName=stream_name, PlaybackMode="LIVE", Expires=expires_seconds
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise KinesisVideoUnavailable(f"{error.get('Code', 'error')}: {error.get('Message', exc)}") from exc
    except BotoCoreError as exc:
        raise KinesisVideoUnavailable(str(exc)) from exc
    return str(answer["HLSStreamingSessionURL"])
