"""The cost model: arithmetic on published prices, checked by hand for the parts that dominate."""

from __future__ import annotations

import pytest

from framewatch.cli import main
from framewatch.ops import cost


def test_rekognition_tiers() -> None:
    assert cost.rekognition_images(1_000) == pytest.approx(1.00)
    assert cost.rekognition_images(2_000_000) == pytest.approx(1000 + 800)


def test_one_camera_at_one_fps_without_gating() -> None:
    seed = cost.monthly_cost(cost.seed_design(cost.Workload()))
    frames = 730 * 3600
    assert seed["Rekognition"] == pytest.approx(
        2 * cost.rekognition_images(frames) + cost.rekognition_images(frames * 0.1)
    )
    assert seed["Kinesis"] == pytest.approx(730 * 0.015 + frames * 3 * 0.014 / 1e6)
    assert seed["Step Functions Express"] == pytest.approx(frames * (1e-6 + 0.0625 * 1.5 * 0.00001667))


def test_gating_and_dedupe_lower_the_bill() -> None:
    seed = sum(cost.monthly_cost(cost.seed_design(cost.Workload())).values())
    deduped = sum(cost.monthly_cost(cost.Workload()).values())
    gated = sum(cost.monthly_cost(cost.Workload(gating_ratio=0.2)).values())
    assert gated < deduped < seed


def test_cost_command_prints_a_table(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["cost", "--compare-seed", "--gating", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "| service | seed design | framewatch |" in out and "total per camera per month" in out
