"""PipelineSettings from the environment the template sets; bad values name the variable."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from framewatch.errors import UserError
from framewatch.settings import PipelineSettings, pipeline_settings

REQUIRED = {
    "MEDIA_BUCKET": "framewatch-media",
    "FRAMES_TABLE": "framewatch-frames",
    "PEOPLE_TABLE": "framewatch-people",
    "ALERTS_TABLE": "framewatch-alerts",
    "ALERT_SLOTS_TABLE": "framewatch-alert-slots",
    "INCIDENTS_TABLE": "framewatch-incidents",
    "TRACKS_TABLE": "framewatch-tracks",
    "DEAD_LETTER_QUEUE_URL": "http://localhost/000000000000/framewatch-dlq",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Exactly the required variables, and a fresh settings cache on the way in and out."""
    for name in PipelineSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    pipeline_settings.cache_clear()
    yield monkeypatch
    pipeline_settings.cache_clear()


def test_required_variables_and_defaults(env: pytest.MonkeyPatch):
    env.setenv("ALERT_TIMEZONE", "Europe/Paris")
    settings = pipeline_settings()
    assert settings.media_bucket == "framewatch-media"
    assert settings.alert_slots_table == "framewatch-alert-slots"
    assert settings.timezone == ZoneInfo("Europe/Paris")
    assert (settings.suppression_window_seconds, settings.frame_retention_days) == (300, 7)
    assert settings.ui_base_url is None


def test_defaults_to_utc(env: pytest.MonkeyPatch):
    assert pipeline_settings().timezone == ZoneInfo("UTC")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe/Pariss", "../../etc/passwd", ""])
def test_an_unknown_time_zone_names_alert_timezone(env: pytest.MonkeyPatch, zone: str):
    env.setenv("ALERT_TIMEZONE", zone)
    with pytest.raises(UserError) as caught:
        pipeline_settings()
    message = str(caught.value)
    assert message.startswith("setting ALERT_TIMEZONE: ")
    assert f"unknown time zone {zone!r}" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUPPRESSION_WINDOW_SECONDS", "5"),
        ("SUPPRESSION_WINDOW_SECONDS", "a while"),
        ("FRAME_RETENTION_DAYS", "0"),
        ("FACE_MATCH_THRESHOLD", "101"),
        ("MAX_LABELS", "0"),
    ],
)
def test_out_of_range_values_name_their_variable(env: pytest.MonkeyPatch, name: str, value: str):
    env.setenv(name, value)
    with pytest.raises(UserError, match=f"^setting {name}: "):
        pipeline_settings()


def test_a_missing_required_variable_is_named(env: pytest.MonkeyPatch):
    env.delenv("ALERT_SLOTS_TABLE")
    with pytest.raises(UserError, match=r"^setting ALERT_SLOTS_TABLE: Field required$"):
        pipeline_settings()


def test_a_fixed_environment_is_read_once_until_the_cache_is_cleared(env: pytest.MonkeyPatch):
    first = pipeline_settings()
    env.setenv("SUPPRESSION_WINDOW_SECONDS", "600")
    assert pipeline_settings() is first
    pipeline_settings.cache_clear()
    assert pipeline_settings().suppression_window_seconds == 600
