"""Settings from the environment the template sets (each function's own model, and all of them in
PipelineSettings); bad values name the variable."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from pydantic_settings import BaseSettings

from framewatch.errors import UserError
from framewatch.settings import (
    EnrollSettings,
    FaceSettings,
    IngestSettings,
    LabelSettings,
    PipelineSettings,
    TrackSettings,
    UploadSettings,
    WatchListSettings,
    forget_settings,
    pipeline_settings,
    settings_for,
)

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
    assert settings.frame_retention_days == 7
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
        ("FRAME_RETENTION_DAYS", "0"),
        ("FRAME_RETENTION_DAYS", "a while"),
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
    env.setenv("FRAME_RETENTION_DAYS", "30")
    assert pipeline_settings() is first
    pipeline_settings.cache_clear()
    assert pipeline_settings().frame_retention_days == 30


# Each function's own model needs only the variables that function reads (the template gives it no more).
FUNCTION_ENVIRONMENTS = [
    (IngestSettings, {"MEDIA_BUCKET": "m", "DEAD_LETTER_QUEUE_URL": "q"}),
    (UploadSettings, {}),
    (LabelSettings, {}),
    (FaceSettings, {"PEOPLE_TABLE": "p"}),
    (EnrollSettings, {}),
    (WatchListSettings, {"MEDIA_BUCKET": "m"}),
    (
        TrackSettings,
        {"MEDIA_BUCKET": "m", "TRACKS_TABLE": "t", "INCIDENTS_TABLE": "i", "ALERT_SLOTS_TABLE": "s"},
    ),
]


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No framewatch variable at all, and no settings remembered from another test."""
    for name in PipelineSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    forget_settings()
    yield monkeypatch
    forget_settings()


@pytest.mark.parametrize(("model", "variables"), FUNCTION_ENVIRONMENTS)
def test_each_function_starts_with_only_its_own_variables(
    bare_env: pytest.MonkeyPatch, model: type[BaseSettings], variables: dict[str, str]
) -> None:
    for name, value in variables.items():
        bare_env.setenv(name, value)
    settings = settings_for(model)
    assert {name: getattr(settings, name.lower()) for name in variables} == variables
    for name in variables:  # and each of them is required
        forget_settings()
        bare_env.delenv(name)
        with pytest.raises(UserError, match=f"^setting {name}: Field required$"):
            settings_for(model)
        bare_env.setenv(name, variables[name])


def test_a_function_reads_its_settings_once_per_cold_start(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("FRAME_RETENTION_DAYS", "3")
    first = settings_for(UploadSettings)
    bare_env.setenv("FRAME_RETENTION_DAYS", "9")
    assert settings_for(UploadSettings) is first
    forget_settings()  # a new environment, e.g. a new embedded stack
    assert settings_for(UploadSettings).frame_retention_days == 9


def test_a_function_setting_out_of_range_names_its_variable(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("PEOPLE_TABLE", "p")
    bare_env.setenv("FACE_MATCH_THRESHOLD", "120")
    with pytest.raises(UserError, match=r"^setting FACE_MATCH_THRESHOLD: "):
        settings_for(FaceSettings)
