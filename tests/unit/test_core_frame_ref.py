"""Frame references: the sort key, the day partition and the retention TTL derived from a capture."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from framewatch.core.frame_record import FRAME_ID_PATTERN, parse_frame_record
from framewatch.core.frame_ref import make_frame_ref, parse_captured_at, ref_for_record

PROPERTY = settings(max_examples=100, deadline=None)
PARIS_SUMMER = timezone(timedelta(hours=2))


def ref_at(captured_at: datetime, frame_id: str = "f-1", retention_days: int = 7):
    return make_frame_ref(
        camera_id="porch-1",
        frame_id=frame_id,
        captured_at=captured_at,
        seq=7,
        width=640,
        height=480,
        bucket="media",
        s3_key="frames/porch-1/x.jpg",
        source="upload",
        retention_days=retention_days,
    )


def test_keys_are_derived_from_the_utc_capture_time():
    ref = ref_at(datetime(2024, 5, 2, 1, 30, 0, 250000, tzinfo=PARIS_SUMMER), frame_id="f-9")

    assert ref.captured_at == "2024-05-01T23:30:00.250Z"
    assert ref.frame_key == "2024-05-01T23:30:00.250Z#f-9"
    assert ref.day == "2024-05-01"  # the UTC day, not the local one
    assert ref.source == "upload"


def test_expires_at_is_capture_epoch_plus_whole_retention_days():
    captured = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)  # a DST change in Europe falls inside the span
    ref = ref_at(captured, retention_days=7)
    assert ref.expires_at == int(captured.timestamp()) + 7 * 86_400


def test_ref_for_record_copies_the_record_and_marks_the_source_as_kinesis():
    record = parse_frame_record(
        json.dumps(
            {
                "v": 1,
                "camera_id": "yard",
                "frame_id": "yard:1",
                "captured_at": "2024-05-01T00:00:00.001+00:00",
                "seq": 3,
                "width": 320,
                "height": 240,
                "image": base64.b64encode(b"\xff\xd8\xff").decode(),
            }
        ).encode()
    )

    ref = ref_for_record(record, bucket="media", s3_key="frames/yard/2024/05/01/yard:1.jpg", retention_days=2)

    assert ref.model_dump() == {
        "camera_id": "yard",
        "frame_id": "yard:1",
        "captured_at": "2024-05-01T00:00:00.001Z",
        "seq": 3,
        "width": 320,
        "height": 240,
        "bucket": "media",
        "s3_key": "frames/yard/2024/05/01/yard:1.jpg",
        "source": "kinesis",
        "frame_key": "2024-05-01T00:00:00.001Z#yard:1",
        "day": "2024-05-01",
        "expires_at": int(datetime(2024, 5, 3, 0, 0, 0, 1000, tzinfo=UTC).timestamp()),
    }


offsets = st.sampled_from([UTC, PARIS_SUMMER, timezone(timedelta(hours=-9, minutes=-30))])
millisecond_moments = st.builds(
    lambda moment, ms: moment.replace(microsecond=ms * 1000),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets),
    st.integers(min_value=0, max_value=999),
)
frame_ids = st.from_regex(FRAME_ID_PATTERN, fullmatch=True)


@PROPERTY
@given(millisecond_moments, millisecond_moments, frame_ids, frame_ids)
def test_frame_keys_sort_in_capture_order_whatever_the_frame_ids(a: datetime, b: datetime, id_a, id_b):
    assume(a != b)
    earlier, later = (a, b) if a < b else (b, a)
    first, second = (id_a, id_b) if a < b else (id_b, id_a)
    assert ref_at(earlier, first).frame_key < ref_at(later, second).frame_key


@PROPERTY
@given(millisecond_moments, st.integers(min_value=1, max_value=3650))
def test_captured_at_round_trips_and_day_and_ttl_agree_with_it(moment: datetime, retention_days: int):
    ref = ref_at(moment, retention_days=retention_days)
    assert parse_captured_at(ref.captured_at) == moment
    assert ref.day == moment.astimezone(UTC).date().isoformat()
    assert ref.frame_key.startswith(f"{ref.captured_at}#")
    assert ref.expires_at - int(moment.timestamp()) == retention_days * 86_400
