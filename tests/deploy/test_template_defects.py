"""Issue 12's review findings about the template and the layer, each checked where it would bite:
on the template as SAM translates it, on the settings the functions enforce, on the build files."""

from __future__ import annotations

import re
import subprocess
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from framewatch.embedded.template import REPO_ROOT, load_sam, translate
from framewatch.settings import PipelineSettings

SETTINGS_BASE = dict(
    media_bucket="b", frames_table="f", people_table="p", alerts_table="a", alert_slots_table="s",
    incidents_table="i", tracks_table="t",
    dead_letter_queue_url="q",
)  # fmt: skip


def _accepted(**values: Any) -> bool:
    try:
        PipelineSettings(**SETTINGS_BASE, **values)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("parameter", "setting"), [("FrameRetentionDays", "frame_retention_days")])
def test_number_parameters_allow_exactly_what_the_settings_accept(parameter: str, setting: str) -> None:
    spec = load_sam()["Parameters"][parameter]
    low, high = int(spec["MinValue"]), int(spec["MaxValue"])
    assert _accepted(**{setting: low}) and _accepted(**{setting: high})
    assert not _accepted(**{setting: low - 1}) and not _accepted(**{setting: high + 1})


def test_alert_timezone_allows_exactly_the_zones_the_layer_ships_and_the_settings_accept() -> None:
    allowed = load_sam()["Parameters"]["AlertTimezone"]["AllowedValues"]
    shipped = resources.files("tzdata").joinpath("zones").read_text().split()
    assert sorted(allowed) == sorted(shipped)
    assert all(_accepted(alert_timezone=zone) for zone in allowed)
    assert not _accepted(alert_timezone="Mars/Olympus_Mons")


def test_the_api_has_one_stage_and_no_stray_stage_named_stage() -> None:
    stages = [r for r in translate()["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert [s["Properties"]["StageName"] for s in stages] == ["v1"]


def test_old_layer_versions_are_deleted_and_the_runtime_is_on_amazon_linux_2023() -> None:
    sam = load_sam()
    layer = sam["Resources"]["SharedLayer"]["Properties"]
    assert layer["RetentionPolicy"] == "Delete"
    runtime = sam["Globals"]["Function"]["Runtime"]
    # python3.12 and later run on Amazon Linux 2023; 3.11 ran on Amazon Linux 2 (support ended 2026-06-30).
    assert re.fullmatch(r"python3\.(1[2-9])", runtime), runtime
    assert layer["CompatibleRuntimes"] == [runtime]
    built = [r for r in translate()["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert {f["Properties"]["Runtime"] for f in built} == {runtime}
    assert "RetentionPolicy" not in str(translate()["Resources"])  # SAM turned it into a DeletionPolicy


def test_sam_build_is_not_cached_because_the_layer_reads_outside_its_content_uri() -> None:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())
    assert config["default"]["build"]["parameters"].get("cached", False) is False
    # ... the reason: the layer's Makefile copies ../../framewatch, which SAM's cache key never sees.
    assert '"$(ROOT)/framewatch"' in (REPO_ROOT / "layers/shared/Makefile").read_text()


def test_the_layer_ships_pillow_13_which_amazon_linux_2023_loads() -> None:
    # That the layer and the tests share one set of pins: tests/unit/test_packaging.py.
    lines = (REPO_ROOT / "layers/shared/requirements.txt").read_text().splitlines()
    (pillow,) = [line for line in lines if line.startswith("pillow==")]
    assert pillow.startswith("pillow==13.")  # manylinux_2_28 wheels only: fine on glibc 2.34


def test_the_layer_is_built_with_the_sam_venvs_pip_for_the_deployed_runtime(tmp_path: Path) -> None:
    dry = subprocess.run(
        [
            "make",
            "-n",
            "-C",
            str(REPO_ROOT / "layers/shared"),
            "build-SharedLayer",
            f"ARTIFACTS_DIR={tmp_path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.replace("\\\n", " ")
    install = " ".join(next(line for line in dry.splitlines() if " install " in line).split())
    assert install.startswith(f"{REPO_ROOT}/.venv-sam/bin/python -m pip install"), install
    runtime = load_sam()["Globals"]["Function"]["Runtime"]
    assert f"--python-version {runtime.removeprefix('python')}" in install
    assert "--platform manylinux_2_28_aarch64" in install
