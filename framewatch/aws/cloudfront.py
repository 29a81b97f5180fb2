"""CloudFront: invalidate the hosted web UI's cached files after an upload."""

from __future__ import annotations

import time

from framewatch.aws.clients import client


def invalidate_all(distribution_id: str) -> str:
    response = client("cloudfront").create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time_ns())},
    )
    return str(response["Invalidation"]["Id"])
