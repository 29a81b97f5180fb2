"""`make test-deployed` without a stack or credentials: one line saying what it needs, non-zero, and
the smoke suite is never part of the default pytest run."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _ours(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Every line printed, less make's own "make: *** ... Error 2" notice ("make[1]: ..." when the test
    itself runs under make, as `make test` does)."""
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if not re.match(r"make(\[\d+\])?: ", line)]


@pytest.mark.parametrize(
    ("stack", "needs"),
    [
        (None, "framewatch: error: test-deployed needs a deployed stack: set FRAMEWATCH_STACK=<stack name>"),
        ("framewatch", "framewatch: error: test-deployed needs AWS credentials for stack framewatch: "),
    ],
)
def test_without_a_stack_or_credentials_it_prints_one_line_and_fails(
    offline_env: dict[str, str], stack: str | None, needs: str
) -> None:
    env = {k: v for k, v in offline_env.items() if k != "FRAMEWATCH_STACK"}
    if stack:
        env.update(FRAMEWATCH_STACK=stack, AWS_REGION="us-east-1")
    result = subprocess.run(
        ["make", "--no-print-directory", "test-deployed"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    lines = _ours(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith(needs), lines[0]


def test_the_default_run_does_not_collect_the_smoke_suite() -> None:
    collected = subprocess.run(
        [str(REPO / ".venv/bin/python"), "-m", "pytest", "--collect-only", "-q", "tests"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stdout[-2000:]
    assert "tests/deploy/test_cost.py" in collected.stdout  # it did collect the suite...
    assert "tests/deployed" not in collected.stdout  # ... but not the smoke tests
