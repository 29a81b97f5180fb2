"""RSS growth per frame of the embedded stack's process: `python -m bench.memory [--keep-executions]`.

Frames from bikes.mp4 go through the stack in batches of 5 (as a 5 fps camera's batches would);
RSS (this process: emulator, handlers, pipe) is read after a warm-up and again after ``--frames``
more; the slope is MB per frame. ``--keep-executions`` leaves ended executions in the emulator, as
before they went to the log group's files, for the before/after figure. ``--trace N`` also prints
the N places (allocation tracebacks) whose live memory grew most over the measured frames.
"""

from __future__ import annotations

import argparse
import base64
import gc
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from framewatch.aws.clients import client
from framewatch.core.frame_record import FrameRecord
from framewatch.embedded import execution_logs
from framewatch.embedded.stack import EmbeddedStack, StackOptions
from framewatch.media import clip_jpegs


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _send(stack: EmbeddedStack, jpegs: list[bytes], first: int, count: int, sent: int) -> int:
    kinesis, start = client("kinesis"), datetime.now(UTC) - timedelta(minutes=5)
    for offset in range(0, count, 5):
        records = []
        for n in range(first + offset, first + min(offset + 5, count)):
            record = FrameRecord(
                camera_id="soak",
                frame_id=f"mem-{n}",
                captured_at=start + timedelta(milliseconds=200 * n),
                seq=n,
                width=640,
                height=272,
                image=base64.b64encode(jpegs[n % len(jpegs)]).decode(),
            )
            records.append({"Data": record.to_json(), "PartitionKey": "soak"})
        kinesis.put_records(StreamName=stack.stream_name, Records=records)
        sent += len(records)
        assert all(pipe.wait_idle(sent, 120) for pipe in stack.pipes), "pipe did not drain"
    return sent


def _top_growth(before: tracemalloc.Snapshot, frames: int, top: int) -> None:
    after = tracemalloc.take_snapshot()
    for stat in after.compare_to(before, "traceback")[:top]:
        print(f"{stat.size_diff / frames:9.0f} B/frame {stat.count_diff / frames:7.2f} blocks/frame")
        for line in stat.traceback.format()[-12:]:
            print("    " + line)


def measure(frames: int, warmup: int, keep_executions: bool, trace: int = 0) -> dict[str, float]:
    jpegs = list(clip_jpegs("bikes.mp4", quality=85).values())
    with tempfile.TemporaryDirectory() as folder:
        watchlist = Path(folder) / "watchlist.yaml"
        watchlist.write_text("rules:\n  - name: anything\n    labels: [Person]\n    min_confidence: 50\n")
        options = StackOptions(data_dir=Path(folder) / "data", watchlist=watchlist, serve_ui=False)
        with EmbeddedStack(options) as stack:
            if keep_executions:
                execution_logs.install(None)
            sent = _send(stack, jpegs, 0, warmup, 0)
            time.sleep(1)  # the last execution's end reaches the log group
            stack.execution_logs.forget(older_than=0)
            gc.collect()
            before = rss_mb()
            if trace:
                tracemalloc.start(12)
                traced = tracemalloc.take_snapshot()
            sent = _send(stack, jpegs, warmup, frames, sent)
            time.sleep(1)  # the last execution's end reaches the log group
            stack.execution_logs.forget(older_than=0)
            gc.collect()
            after = rss_mb()
            if trace:
                _top_growth(traced, frames, trace)
                tracemalloc.stop()
    return {
        "frames": frames,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "rss_mb_per_frame": round((after - before) / frames, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--keep-executions", action="store_true")
    parser.add_argument("--trace", type=int, default=0, metavar="N")
    args = parser.parse_args()
    print(measure(args.frames, args.warmup, args.keep_executions, args.trace), flush=True)


if __name__ == "__main__":
    main()
