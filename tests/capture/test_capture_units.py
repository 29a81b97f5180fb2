"""Pure pieces: sampling, frame ids, redaction, batching limits, options validation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capture.config import validate_options
from capture.frame_ids import FrameIds
from capture.frame_queue import PendingFrame
from capture.producer import build_record, split_by_size
from capture.redact import redact_url
from capture.sampling import Sampler
from framewatch.core.frame_record import FRAME_ID_PATTERN, parse_frame_record
from framewatch.errors import UserError


def test_every_nth_frame() -> None:
    sampler = Sampler(every=4)
    assert [i for i in range(10) if sampler.accept(i, i / 25)] == [0, 4, 8]


def test_fps_target_on_a_30_fps_source_keeps_every_third_frame() -> None:
    sampler = Sampler(fps=10)
    kept = [i for i in range(90) if sampler.accept(i, i / 30)]
    assert len(kept) == 30 and kept[:4] == [0, 3, 6, 9]


def test_every_and_fps_combine() -> None:
    sampler = Sampler(every=2, fps=5)
    kept = [i for i in range(100) if sampler.accept(i, i / 25)]
    assert len(kept) == 20


def test_fps_re_anchors_after_a_gap() -> None:
    sampler = Sampler(fps=1)
    assert [t for t in (0.0, 0.5, 1.0, 5.2, 5.9, 6.2) if sampler.accept(0, t)] == [0.0, 1.0, 5.2, 6.2]


@given(st.integers(min_value=1, max_value=10), st.floats(min_value=0.5, max_value=30))
def test_sampling_never_exceeds_the_target_rate(every: int, fps: float) -> None:
    sampler = Sampler(every=every, fps=fps)
    kept = [i for i in range(300) if sampler.accept(i, i / 30)]
    assert len(kept) <= 10 * fps + 1
    assert all(i % every == 0 for i in kept)


def test_frame_ids_are_valid_sortable_and_seq_is_monotonic() -> None:
    ids = FrameIds("cam-1")
    start = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    made = [ids.next(start + timedelta(milliseconds=40 * n)) for n in range(50)]
    assert made[0][0].startswith("cam-1-20250102T030405.678-")
    assert all(re.match(FRAME_ID_PATTERN, frame_id) for frame_id, _ in made)
    assert [f for f, _ in made] == sorted(f for f, _ in made)
    seqs = [seq for _, seq in made]
    assert seqs == list(range(seqs[0], seqs[0] + 50))
    # Time-based base: a restart a moment later starts above anything this run could reach.
    assert FrameIds("cam-1").next(start)[1] > seqs[0]


def test_a_record_with_the_longest_camera_id_still_validates() -> None:
    camera = "c" * 63
    frame_id, seq = FrameIds(camera).next(datetime.now(UTC))
    frame = PendingFrame(camera, frame_id, seq, datetime.now(UTC), 2, 2, b"\xff\xd8")
    assert parse_frame_record(build_record(frame).entry.data).frame_id == frame_id


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://admin:pw@cam.local:554/live", "rtsp://***@cam.local:554/live"),
        ("http://cam/video?user=a&pwd=b&res=hd", "http://cam/video?user=***&pwd=***&res=hd"),
        ("http://cam/video", "http://cam/video"),
    ],
)
def test_urls_are_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def _outgoing(size: int) -> Any:
    frame = PendingFrame("cam", "cam-1", 1, datetime.now(UTC), 1, 1, b"x" * size)
    return build_record(frame)


def test_batches_stay_within_500_records_and_5_mib() -> None:
    small = [_outgoing(10)] * 1200
    assert [len(c) for c in split_by_size(small)] == [500, 500, 200]
    big = [_outgoing(900 * 1024)] * 10  # ~1.2 MB per record once base64-encoded
    chunks = split_by_size(big)
    assert all(sum(r.entry.size for r in c) <= 5 * 1024 * 1024 for c in chunks)
    assert sum(len(c) for c in chunks) == 10


@pytest.mark.parametrize(
    ("camera", "field"),
    [
        ({"id": "cam", "source": "x.mp4", "every": 0}, "cameras.0.every"),
        ({"id": "bad id!", "source": "x.mp4"}, "cameras.0.id"),
        ({"id": "cam", "source": "x.mp4", "motion": {"min_area": 2}}, "cameras.0.motion.min_area"),
        ({"id": "cam", "source": "x.mp4", "colour": "red"}, "cameras.0.colour"),
    ],
)
def test_invalid_options_name_the_field_in_one_line(camera: dict[str, Any], field: str) -> None:
    with pytest.raises(UserError) as error:
        validate_options({"cameras": [camera]}, "config cameras.yaml")
    assert f"invalid config cameras.yaml: {field}:" in str(error.value)
    assert "\n" not in str(error.value)


def test_duplicate_camera_ids_are_refused() -> None:
    with pytest.raises(UserError, match="appears twice"):
        validate_options({"cameras": [{"id": "a", "source": "1"}, {"id": "a", "source": "2"}]})
