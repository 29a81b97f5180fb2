"""Kinesis for producers: check a stream exists and put batches of records (PutRecords)."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from framewatch.aws.clients import client
from framewatch.errors import UserError

# PutRecords limits (Kinesis Data Streams quotas).
MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024


@dataclass(frozen=True)
class RecordEntry:
    """One record to put: its bytes and the partition key that picks the shard."""

    data: bytes
    partition_key: str

    @property
    def size(self) -> int:
        # Kinesis counts the data blob plus the partition key against the record and call limits.
        return len(self.data) + len(self.partition_key.encode())


@dataclass(frozen=True)
class EntryResult:
    """The outcome of one entry: ``error_code`` is None when the record is in the stream."""

    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None


# Whole-call failures that no amount of waiting fixes.
_FATAL_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "ValidationException",
        "InvalidArgumentException",
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSNotFoundException",
        "KMSInvalidStateException",
        "UnrecognizedClientException",
    }
)


class PutRecordsError(Exception):
    """A PutRecords call that failed as a whole; ``retryable`` says whether to try again."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.retryable = retryable


def _no_credentials() -> UserError:
    return UserError(
        "no AWS credentials found; run `aws configure` or set AWS_PROFILE "
        "(or use --dry-run DIR, which needs no AWS)"
    )


def check_stream(stream: str) -> str:
    """Fail early with one line if ``stream`` cannot be written; returns its status."""
    try:
        summary = client("kinesis").describe_stream_summary(StreamName=stream)
    except NoCredentialsError as exc:
        raise _no_credentials() from exc
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise UserError(
                f"Kinesis stream {stream} not found; create it, or pass --stream NAME "
                "or set FRAMEWATCH_STREAM"
            ) from exc
        raise UserError(f"cannot use Kinesis stream {stream}: {code or exc}") from exc
    return str(summary["StreamDescriptionSummary"]["StreamStatus"])


def put_records(stream: str, entries: list[RecordEntry]) -> list[EntryResult]:
    """One PutRecords call; the result has one entry per input, in order.

    Raises PutRecordsError when the whole call fails, or UserError for missing credentials.
    """
    if not entries:
        return []
    try:
        response = client("kinesis").put_records(
            StreamName=stream,
            Records=[{"Data": e.data, "PartitionKey": e.partition_key} for e in entries],
        )
    except NoCredentialsError as exc:
        raise _no_credentials() from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "ClientError")
        raise PutRecordsError(code, str(error.get("Message") or ""), code not in _FATAL_CODES) from exc
    except BotoCoreError as exc:  # connection refused, timeouts: the endpoint may come back
        raise PutRecordsError(type(exc).__name__, str(exc), True) from exc
    return [EntryResult(item.get("ErrorCode"), item.get("ErrorMessage")) for item in response["Records"]]
