"""The Kinesis frame record: parsing, the one-line reasons a record is refused, and the S3 keys."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framewatch.core.frame_record import (
    CAMERA_ID_PATTERN,
    FRAME_ID_PATTERN,
    FrameRecord,
    FrameRecordError,
    claim_check_key,
    frame_object_key,
    parse_frame_record,
    utc_iso,
)

PROPERTY = settings(max_examples=100, deadline=None)
JPEG = b"\xff\xd8\xff\xe0 not really a jpeg body"
DROP = object()
WIRE_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def record_json(**changes: object) -> bytes:
    body: dict[str, object] = {
        "v": 1,
        "camera_id": "porch-1",
        "frame_id": "porch-1:000042",
        "captured_at": "2024-05-01T12:34:56.789Z",
        "seq": 42,
        "width": 640,
        "height": 480,
        "image": base64.b64encode(JPEG).decode(),
    }
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not DROP}).encode()


def refusal(data: bytes) -> str:
    with pytest.raises(FrameRecordError) as caught:
        parse_frame_record(data)
    return str(caught.value)


def test_inline_record_parses_with_an_aware_timestamp_and_its_jpeg_bytes():
    record = parse_frame_record(record_json())

    assert (record.camera_id, record.frame_id, record.seq) == ("porch-1", "porch-1:000042", 42)
    assert (record.width, record.height) == (640, 480)
    assert record.captured_at == datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)
    assert record.s3_key is None
    assert record.image_bytes() == JPEG


def test_claim_check_record_names_its_s3_key_and_has_no_inline_bytes():
    key = claim_check_key("porch-1", "porch-1:000042")
    record = parse_frame_record(record_json(image=DROP, s3_key=key))

    assert key == "claim-check/porch-1/porch-1:000042.jpg"
    assert record.s3_key == key
    with pytest.raises(FrameRecordError, match="claim-check"):
        record.image_bytes()


def test_a_non_utc_offset_is_kept_as_the_same_instant():
    record = parse_frame_record(record_json(captured_at="2024-05-01T14:34:56.789+02:00"))
    assert record.captured_at == datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not json", "record is not JSON"),
        (b"\x80\x81 invalid utf-8", "record is not JSON"),
        (b"", "record is not JSON"),
        (b"[" * 100_000, "record is not JSON"),  # nesting deep enough to exhaust the decoder's stack
        (b'{"v": 1, "seq": ' + b"9" * 5000 + b"}", "record is not JSON"),  # past int-digit limit
        (b"[1, 2, 3]", "record is not a JSON object"),
        (b'"a string"', "record is not a JSON object"),
        (b"null", "record is not a JSON object"),
        (record_json(v=DROP), "unsupported record version None"),
        (record_json(v=2), "unsupported record version 2"),
        (record_json(v="1"), "unsupported record version '1'"),
        (record_json(camera_id=DROP), "invalid frame record: camera_id: Field required"),
        (record_json(camera_id="front door"), "invalid frame record: camera_id: String should match"),
        (record_json(camera_id="-leading-dash"), "invalid frame record: camera_id:"),
        (record_json(frame_id="x" * 129), "invalid frame record: frame_id:"),
        (record_json(seq=-1), "invalid frame record: seq:"),
        (record_json(width=0), "invalid frame record: width:"),
        (record_json(height=16385), "invalid frame record: height:"),
        (record_json(captured_at="yesterday"), "invalid frame record: captured_at:"),
        (record_json(colour="red"), "invalid frame record: colour: Extra inputs are not permitted"),
        (record_json(s3_key="claim-check/porch-1/x.jpg"), "exactly one of image (base64 JPEG) or s3_key"),
        (record_json(image=DROP), "exactly one of image (base64 JPEG) or s3_key"),
        (record_json(captured_at="2024-05-01T12:34:56.789"), "captured_at must carry a UTC offset"),
    ],
    ids=lambda value: value[:40].decode(errors="replace") if isinstance(value, bytes) else value,
)
def test_refused_records_say_why_in_one_line(data: bytes, reason: str):
    message = refusal(data)
    assert reason in message
    assert "\n" not in message


def test_bad_base64_is_refused_when_the_bytes_are_asked_for():
    record = parse_frame_record(record_json(image="not*base64!"))
    with pytest.raises(FrameRecordError, match="image is not valid base64") as caught:
        record.image_bytes()
    assert "\n" not in str(caught.value)


def test_the_record_is_immutable():
    record = parse_frame_record(record_json())
    with pytest.raises(ValueError, match="frozen"):
        record.seq = 43  # type: ignore[misc]


camera_ids = st.from_regex(CAMERA_ID_PATTERN, fullmatch=True)
frame_ids = st.from_regex(FRAME_ID_PATTERN, fullmatch=True)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets)


@st.composite
def frame_records(draw: st.DrawFn) -> FrameRecord:
    inline = draw(st.booleans())
    camera_id, frame_id = draw(camera_ids), draw(frame_ids)
    return FrameRecord(
        camera_id=camera_id,
        frame_id=frame_id,
        captured_at=draw(moments),
        seq=draw(st.integers(min_value=0, max_value=2**53)),
        width=draw(st.integers(min_value=1, max_value=16384)),
        height=draw(st.integers(min_value=1, max_value=16384)),
        image=base64.b64encode(draw(st.binary(max_size=64))).decode() if inline else None,
        s3_key=None if inline else claim_check_key(camera_id, frame_id),
    )


@PROPERTY
@given(frame_records())
def test_what_the_capture_client_writes_parses_back_to_the_same_record(record: FrameRecord):
    parsed = parse_frame_record(record.to_json())
    assert parsed.model_dump() == record.model_dump()
    if record.image is not None:
        assert parsed.image_bytes() == base64.b64decode(record.image)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
field_names = st.sampled_from(
    ["v", "camera_id", "frame_id", "captured_at", "seq", "width", "height", "image", "s3_key", "extra"]
)


json_objects = st.dictionaries(field_names, json_values).map(lambda d: json.dumps(d).encode())


@PROPERTY
@given(st.binary(max_size=200) | json_objects)
def test_any_bytes_either_parse_or_raise_a_one_line_frame_record_error(data: bytes):
    try:
        parse_frame_record(data)
    except FrameRecordError as exc:
        assert "\n" not in str(exc)


def test_utc_iso_is_utc_with_milliseconds_and_z():
    moment = datetime(2024, 1, 2, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=3)))
    assert utc_iso(moment) == "2024-01-01T22:02:03.456Z"


@PROPERTY
@given(moments)
def test_utc_iso_is_fixed_width_and_names_the_same_instant_to_the_millisecond(moment: datetime):
    stamp = utc_iso(moment)
    assert WIRE_TIMESTAMP.match(stamp)
    back = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert timedelta(0) <= moment - back < timedelta(milliseconds=1)


def test_frame_object_key_uses_the_utc_day():
    # 01:30 in Paris on 2 May is still 1 May in UTC.
    captured = datetime(2024, 5, 2, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert frame_object_key("porch-1", "f-9", captured) == "frames/porch-1/2024/05/01/f-9.jpg"


@pytest.mark.parametrize("camera_id", ["", "front door", "../etc", "a/b", "x" * 64])
def test_frame_object_key_refuses_camera_ids_that_would_escape_the_prefix(camera_id: str):
    with pytest.raises(FrameRecordError, match="invalid camera id"):
        frame_object_key(camera_id, "f-1", datetime(2024, 5, 1, tzinfo=UTC))
