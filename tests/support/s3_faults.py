"""S3 faults at the wire: the emulator never throttles, so a test makes S3 answer like a busy bucket.

In one process (:func:`throttled_s3`) the fault sits where S3's answer enters botocore
(``before-send``); against a running embedded stack, whose handlers call S3 from their own Lambda
worker processes, it sits where the request enters the emulator (:func:`throttled_s3_puts`). Either
way the SDK's own retry policy, the handler and the Pipe all see a real ``503 SlowDown`` response,
exactly as from AWS.
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

    def take(self) -> bool:
        """True when this request is to be throttled (and counted)."""
        with self.lock:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            self.answered += 1
            return True

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if not self.take():
            return None  # let the request through to the emulator
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


@contextmanager
def throttled_s3_puts(key_part: str, times: int) -> Iterator[Throttle]:
    """The next ``times`` PUT requests the embedded stack's emulator receives for an S3 key containing
    ``key_part`` are answered ``503 SlowDown``, whichever process sent them (a Lambda worker)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    throttle = Throttle(times, lock=threading.Lock())
    original = DomainDispatcherApplication.__call__

    def dispatch(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        if (
            environ.get("REQUEST_METHOD") == "PUT"
            and key_part in environ.get("PATH_INFO", "")
            and "x-amz-copy-source" not in {k.lower().replace("_", "-")[5:] for k in environ}
            and throttle.take()
        ):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length:
                environ["wsgi.input"].read(length)  # the connection is kept: the body must be consumed
            start_response(
                "503 Slow Down",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(SLOW_DOWN)))],
            )
            return [SLOW_DOWN]
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]
    try:
        yield throttle
    finally:
        DomainDispatcherApplication.__call__ = original  # type: ignore[method-assign]
