"""A photo under uploads/ becomes a one-frame batch of the pseudo-camera "uploads"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from framewatch.logic.describe_upload import BadUpload, describe_upload
from framewatch.settings import UploadSettings

from .pipeline_fakes import InMemoryObjects, jpeg

AT = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def test_an_upload_is_a_frame_of_the_uploads_camera_with_its_own_size() -> None:
    objects = InMemoryObjects()
    objects.put_object("media", "uploads/abc_1.jpg", jpeg(320, 200), "image/jpeg")
    ref = describe_upload("media", "uploads/abc_1.jpg", AT, objects, UploadSettings(frame_retention_days=3))
    assert (ref.camera_id, ref.frame_id, ref.source) == ("uploads", "upload-abc_1", "upload")
    assert (ref.width, ref.height, ref.bucket, ref.s3_key) == (320, 200, "media", "uploads/abc_1.jpg")
    assert ref.expires_at == int(datetime(2026, 5, 4, 12, 30, tzinfo=UTC).timestamp())


@pytest.mark.parametrize("key", ["uploads/a.gif", "uploads/sub/a.jpg", "enroll/a.jpg", "uploads/.jpg"])
def test_a_key_we_do_not_analyse_is_refused_without_reading_it(key: str) -> None:
    objects = InMemoryObjects()
    with pytest.raises(BadUpload):
        describe_upload("media", key, AT, objects, UploadSettings())
    assert objects.reads == []
