#!/bin/bash
# Runs inside the LocalStack container once it is ready. The stack itself comes from
# `make localstack-deploy` (samlocal); this only prepares what SAM expects to find.
set -euo pipefail
awslocal s3 mb s3://framewatch-sam-artifacts 2>/dev/null || true
echo "framewatch: LocalStack ready; run \`make localstack-deploy\` on the host"
