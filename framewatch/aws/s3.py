"""Small, generic S3 helpers: put or copy an object, read one back, hand out a presigned GET URL."""

from __future__ import annotations

from framewatch.aws.clients import client


def put_object(
    bucket: str,
    key: str,
    body: bytes,
    content_type: str = "application/octet-stream",
    cache_control: str | None = None,
) -> None:
    extra = {"CacheControl": cache_control} if cache_control else {}
    client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **extra)


def copy_object(bucket: str, source_key: str, key: str) -> None:
    """Server-side copy within one bucket (the bytes never pass through the caller)."""
    client("s3").copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": source_key})


def get_object_bytes(bucket: str, key: str) -> bytes:
    response = client("s3").get_object(Bucket=bucket, Key=key)
    return bytes(response["Body"].read())


def presigned_get_url(bucket: str, key: str, expires_in: int = 3600) -> str:
    return str(
        client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key},
            ExpiresIn=expires_in,
        )
    )


class S3Objects:
    """The use cases' ObjectStore over these helpers."""

    def get_object_bytes(self, bucket: str, key: str) -> bytes:
        return get_object_bytes(bucket, key)

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        put_object(bucket, key, body, content_type)

    def copy_object(self, bucket: str, source_key: str, key: str) -> None:
        copy_object(bucket, source_key, key)
