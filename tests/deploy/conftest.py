"""Deployment tests run offline: SAM comes from the tool venv that `make sam-tools` builds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAM = REPO / ".venv-sam" / "bin" / "sam"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sam_build: runs `sam build` (downloads arm64 wheels from PyPI)")


@pytest.fixture()
def offline_env(tmp_path: Path) -> dict[str, str]:
    """No credentials anywhere (environment, ~/.aws) and no instance-metadata lookups."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path),
        AWS_EC2_METADATA_DISABLED="true",
        SAM_CLI_TELEMETRY="0",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    return env


@pytest.fixture(scope="session")
def sam() -> Path:
    """`make sam-tools` (a no-op once .venv-sam exists); installing takes about a minute."""
    subprocess.run(
        ["make", "--no-print-directory", "sam-tools"], cwd=REPO, check=True, capture_output=True, timeout=600
    )
    assert SAM.exists()
    return SAM
