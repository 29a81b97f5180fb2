"""S3 faults at the wire: the emulator never throttles, so a test makes S3 answer like a busy bucket.

The fault sits where S3's answer enters botocore (``before-send``), so the SDK's own retry policy,
the handler and the Pipe all see a real ``503 SlowDown`` response, exactly as from AWS.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message><RequestId>fault</RequestId></Error>"
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


@dataclass
class Throttle:
    remaining: int
    answered: int = 0
    lock: threading.Lock = threading.Lock()  # noqa: RUF009 - one lock per throttle is what we want

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        with self.lock:
            if self.remaining <= 0:
                return None  # let the request through to the emulator
            self.remaining -= 1
            self.answered += 1
        return AWSResponse(request.url, 503, {"Content-Type": "application/xml"}, _Raw(SLOW_DOWN))


@contextmanager
def throttled_s3(s3_client: Any, operation: str, times: int) -> Iterator[Throttle]:
    """The next ``times`` HTTP attempts of ``operation`` on ``s3_client`` get 503 SlowDown."""
    throttle = Throttle(times, lock=threading.Lock())
    event = f"before-send.s3.{operation}"
    s3_client.meta.events.register_first(event, throttle)  # before the emulator's own hook
    try:
        yield throttle
    finally:
        s3_client.meta.events.unregister(event, throttle)
