"""`make bench` and `make soak` share bench/results/latest.json: neither run drops the other's figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import results_file


def test_bench_and_soak_keep_each_other_s_figures(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(results_file, "RESULTS", tmp_path)
    results_file.write({"e2e_frames_per_s": 14.0})
    results_file.write({"soak_rss_slope_mb_per_hour": 24.6}, soak=True)
    latest = results_file.write({"e2e_frames_per_s": 15.5})  # a later bench run
    assert json.loads(latest.read_text()) == {
        "e2e_frames_per_s": 15.5,
        "soak": {"soak_rss_slope_mb_per_hour": 24.6},
    }
    soak_copies = list(tmp_path.glob("soak-*.json"))
    assert [json.loads(p.read_text()) for p in soak_copies] == [{"soak_rss_slope_mb_per_hour": 24.6}]
