"""Start-up with a week of data: `python -m bench.restore [--frames 50000] [--objects N]`.

Writes a snapshot as an older `framewatch up` left it (day files of frame items shaped like real
ones, and JPEG objects), starts the embedded stack on it (which moves the items into its kept item
file), stops, and times the second start: the restore and the whole start.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from framewatch.embedded.stack import EmbeddedStack, StackOptions
from framewatch.media import clip_jpegs

LABELS = json.dumps(
    [
        {
            "name": "Person",
            "confidence": 91.2,
            "parents": [],
            "instances": [
                {"box": {"left": 0.41, "top": 0.12, "width": 0.2, "height": 0.6}, "confidence": 91.2}
            ],
        },
        {
            "name": "Bicycle",
            "confidence": 77.0,
            "parents": ["Vehicle"],
            "instances": [
                {"box": {"left": 0.3, "top": 0.5, "width": 0.3, "height": 0.4}, "confidence": 77.0}
            ],
        },
    ]
)


def write_snapshot(folder: Path, frames: int, objects: int, days: int = 7) -> None:
    now = datetime.now(UTC)
    expires = int((now + timedelta(days=days)).timestamp())
    by_day: dict[str, list[str]] = {}
    for n in range(frames):
        at = now - timedelta(seconds=(days * 86400) * n / max(frames, 1))
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        day = stamp[:10]
        frame_id = f"cam{n % 4}-{n:07d}"
        item = {
            "camera_id": {"S": f"cam{n % 4}"},
            "frame_key": {"S": f"{stamp}#{frame_id}"},
            "frame_id": {"S": frame_id},
            "captured_at": {"S": stamp},
            "day": {"S": day},
            "bucket": {"S": "framewatch-media"},
            "s3_key": {"S": f"frames/cam{n % 4}/{day.replace('-', '/')}/{frame_id}.jpg"},
            "width": {"N": "640"},
            "height": {"N": "480"},
            "labels": {"S": LABELS},
            "faces": {"S": "[]"},
            "execution_id": {
                "S": f"arn:aws:states:us-east-1:123456789012:execution:framewatch-analyze-frames:p{n}"
            },
            "source": {"S": "kinesis"},
            "expires_at": {"N": str(expires)},
        }
        by_day.setdefault(day, []).append(json.dumps(item, sort_keys=True))
    tables = folder / "tables" / "FramesTable"
    tables.mkdir(parents=True)
    for day, lines in by_day.items():
        (tables / f"{day}.jsonl").write_text("\n".join(lines) + "\n")
    jpeg = next(iter(clip_jpegs("bikes.mp4", [0]).values()))
    for n in range(objects):
        path = folder / "objects" / "frames" / f"cam{n % 4}" / f"{n:07d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg)


def _start(data: Path) -> tuple[EmbeddedStack, float]:
    started = time.monotonic()
    stack = EmbeddedStack(StackOptions(data_dir=data, serve_ui=False, snapshot_interval=3600))
    stack.start()
    return stack, time.monotonic() - started


def measure(frames: int, objects: int) -> dict[str, float]:
    """Two starts on the snapshot: the first reads the table files of an older data dir into the
    kept item file (once); the second is every restart after that."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        write_snapshot(data / "snapshot", frames, objects)
        first, first_took = _start(data)
        first.objects_restored(timeout=3600)
        first.stop()
        stack, took = _start(data)
        stack.objects_restored(timeout=3600)
        restored = dict(stack.restored)
        stack.stop()
    return {
        "frames": frames,
        "objects": objects,
        "restored_frames": restored.get("FramesTable", 0),
        "restored_objects": restored.get("objects", 0),
        "migrate_from_table_files_s": round(first.restore_seconds, 2),
        "first_start_s": round(first_took, 2),
        "restore_s": round(stack.restore_seconds, 2),
        "objects_restore_s": round(stack.objects_restore_seconds, 2),
        "start_s": round(took, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--objects", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(measure(args.frames, args.objects)), flush=True)


if __name__ == "__main__":
    main()
