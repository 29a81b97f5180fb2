"""Fixtures shared by the unit tests of the emulator's on-disk stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from framewatch.embedded import emulator_storage, moto_hooks


@pytest.fixture
def moto_on_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """moto in this process (no endpoint, test keys, us-east-1) with object bodies and stream record
    data on disk, as in the embedded stack, and without moto's list of every model instance (which
    would keep every key and record alive)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    emulator_storage.install(tmp_path / "emulator")
    moto_hooks.install_untracked_models()
