"""bench/results/latest.json holds the newest figures of `make bench` and of `make soak` side by
side: each run replaces its own part and keeps the other's, and leaves a timestamped copy of its own."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SOAK_KEY = "soak"


def write(results: dict[str, Any], *, soak: bool = False) -> Path:
    """Writes ``results`` as the soak's part (``soak``) or as the bench's (every other key)."""
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    previous: dict[str, Any] = json.loads(latest.read_text()) if latest.exists() else {}
    if soak:
        merged = {**previous, SOAK_KEY: results}
    else:
        merged = {**results, **({SOAK_KEY: previous[SOAK_KEY]} if SOAK_KEY in previous else {})}
    latest.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    stamp = time.strftime("%Y%m%dT%H%M%S")
    copy = RESULTS / (f"{SOAK_KEY}-{stamp}.json" if soak else f"{stamp}.json")
    copy.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return latest
