#!/usr/bin/env bash
# make deploy | destroy | outputs | localstack-deploy, and `build` (everything up to the first AWS call).
# Environment (set by the Makefile): STACK REGION ALERT_EMAIL ALERT_PHONE COLLECTION_ID
# RETENTION_DAYS ALERT_TIMEZONE ALLOWED_ORIGIN DETECTOR SAM FRAMEWATCH.
set -euo pipefail
cd "$(dirname "$0")/.."

SAM=${SAM:-.venv-sam/bin/sam}
FRAMEWATCH=${FRAMEWATCH:-.venv/bin/framewatch}
STACK=${STACK:-framewatch}
REGION=${REGION:-us-east-1}
export SAM_CLI_TELEMETRY=0 AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"

overrides() {
  local list=("CollectionId=${COLLECTION_ID:-framewatch-faces}"
              "FrameRetentionDays=${RETENTION_DAYS:-7}" "AlertTimezone=${ALERT_TIMEZONE:-UTC}"
              "DetectorBackend=${DETECTOR:-rekognition}")
  # Empty: the hosted UI's CloudFront domain (the template's default); set it for a UI served elsewhere.
  [ -n "${ALLOWED_ORIGIN:-}" ] && list+=("AllowedOrigin=$ALLOWED_ORIGIN")
  [ -n "${ALERT_EMAIL:-}" ] && list+=("AlertEmail=$ALERT_EMAIL")
  [ -n "${ALERT_PHONE:-}" ] && list+=("AlertPhone=$ALERT_PHONE")
  printf '%s\n' "${list[@]}"
}

build() {  # offline: lint, translate and build (layer wheels come from PyPI)
  "$SAM" validate --lint --region "$REGION" >&2
  "$SAM" build --region "$REGION" >&2
}

case "${1:-deploy}" in
  build)
    build ;;
  deploy)
    "$FRAMEWATCH" stack preflight --region "$REGION"   # one line and exit 2 without credentials
    build
    mapfile -t params < <(overrides)
    "$SAM" deploy --stack-name "$STACK" --region "$REGION" --parameter-overrides "${params[@]}"
    "$FRAMEWATCH" stack upload-watchlist config/watchlist.yaml --stack "$STACK" --region "$REGION"
    "$FRAMEWATCH" stack outputs --stack "$STACK" --region "$REGION"
    "$FRAMEWATCH" stack upload-ui --stack "$STACK" --region "$REGION" ;;   # last line: the UI URL
  destroy)
    "$FRAMEWATCH" stack preflight --region "$REGION"
    "$FRAMEWATCH" stack empty-bucket --stack "$STACK" --region "$REGION"
    "$SAM" delete --stack-name "$STACK" --region "$REGION" --no-prompts ;;
  outputs)
    "$FRAMEWATCH" stack outputs --stack "$STACK" --region "$REGION" ;;
  localstack)
    # LocalStack: samlocal points SAM at it; framewatch commands use AWS_ENDPOINT_URL. It has no
    # Rekognition and its Pipes cannot target Express workflows (docs/deploy.md): the functions call
    # framewatch's vision service (REKOGNITION_ENDPOINT as the Lambda containers reach it), and
    # `framewatch pipe --stack NAME` plays the Pipe.
    export AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL:-http://localhost.localstack.cloud:4566}
    export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
    REKOGNITION_ENDPOINT=${REKOGNITION_ENDPOINT:-http://host.docker.internal:4599}
    SAMLOCAL="$(dirname "$SAM")/samlocal"
    "$SAMLOCAL" build --region "$REGION" >&2
    mapfile -t params < <(overrides)
    params+=("DeployPipe=false" "DeployFaceCollection=false" "DeployWebUi=false"
             "RekognitionEndpoint=$REKOGNITION_ENDPOINT")
    AWS_ENDPOINT_URL_REKOGNITION=${AWS_ENDPOINT_URL_REKOGNITION:-http://localhost:4599} \
      "$FRAMEWATCH" stack create-collection --collection "${COLLECTION_ID:-framewatch-faces}" --region "$REGION"
    "$SAMLOCAL" deploy --stack-name "$STACK" --region "$REGION" --parameter-overrides "${params[@]}" \
      --resolve-s3 --capabilities CAPABILITY_IAM --no-confirm-changeset --no-fail-on-empty-changeset
    "$FRAMEWATCH" stack upload-watchlist config/watchlist.yaml --stack "$STACK" --region "$REGION"
    echo "deployed without a Pipe: run \`framewatch pipe --stack $STACK\` (with AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL)"
    echo "to analyse what reaches the stream." ;;
  *)
    echo "usage: $0 build|deploy|destroy|outputs|localstack" >&2; exit 64 ;;
esac
