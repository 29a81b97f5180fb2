"""One cached boto3 client per service and thread-safe construction."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# The SDK's error type, re-exported so that code outside aws/ never imports botocore itself.
from botocore.exceptions import ClientError as ClientError

_lock = threading.Lock()

# Adaptive retries absorb throttling at the SDK level; workflow Retry handles what is left.
_CONFIG = Config(retries={"max_attempts": 5, "mode": "adaptive"}, connect_timeout=5, read_timeout=30)
# Vision calls are retried by the workflow (Retry on ProvisionedThroughputExceededException), where each
# attempt shows in the execution history; retrying inside the SDK as well would hide and multiply them.
_NO_SDK_RETRY = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
# Pre-signed URLs must be SigV4: newer regions (and the emulator's CORS check) refuse SigV2.
_S3 = _CONFIG.merge(Config(signature_version="s3v4"))
_PER_SERVICE = {"rekognition": _NO_SDK_RETRY, "s3": _S3}


_session: boto3.session.Session | None = None


@cache
def client(service: str) -> Any:
    """The process-wide client for ``service``; endpoints come from the environment only."""
    global _session
    with _lock:  # a boto3 session is not safe to use from several threads at once; its clients are
        # One session for every client: each session loads the SDK's endpoint data (~7 MB) and the
        # service models for itself, so a session per client cost that much memory per service.
        if _session is None:
            _session = boto3.session.Session()
        # The stubs type each service's client by its literal name; this cache serves every service.
        return _session.client(service, config=_PER_SERVICE.get(service, _CONFIG))  # type: ignore[call-overload]


def reset() -> None:
    """Forget cached clients (after the environment's endpoints or credentials change, e.g. in tests)."""
    global _session
    with _lock:
        client.cache_clear()
        _session = None
