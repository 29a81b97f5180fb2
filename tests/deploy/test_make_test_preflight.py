"""`make test` on a fresh machine: the chromium check installs it as root, or stops at once with one line."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / ".ci" / "ensure-chromium"


def _fake_apt(bin_dir: Path, chromium: Path, log: Path) -> None:
    """An apt-get that records its arguments and, on install, puts a browser where Debian would."""
    apt = bin_dir / "apt-get"
    apt.write_text(
        f'#!/bin/sh\necho "$@" >> {log}\n'
        f'case "$*" in *install*) printf "#!/bin/sh\\n" > {chromium}; chmod +x {chromium};; esac\n'
    )
    apt.chmod(apt.stat().st_mode | stat.S_IEXEC)


def test_root_without_chromium_installs_it(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("this check runs as root (as .ci/run does); run it in the CI container")
    chromium, log = tmp_path / "chromium", tmp_path / "apt.log"
    _fake_apt(tmp_path, chromium, log)
    env = {**os.environ, "CHROMIUM": str(chromium), "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "install -y -qq chromium" in log.read_text()
    assert os.access(chromium, os.X_OK)


def test_user_without_chromium_stops_at_once_with_the_command(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"  # never created
    env = {**os.environ, "CHROMIUM": str(chromium)}
    command = ["bash", str(SCRIPT)]
    if os.geteuid() == 0:  # drop to nobody, as a developer without root would be
        # nobody may not be able to enter the checkout (a private temp dir in CI): run a readable copy.
        readable = Path(tempfile.mkdtemp(prefix="fw-preflight-"))
        readable.chmod(0o755)
        copy = readable / "ensure-chromium"
        shutil.copy(SCRIPT, copy)
        copy.chmod(0o755)
        command = ["bash", str(copy)]
        command = [
            shutil.which("setpriv") or "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            *command,
        ]
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert time.monotonic() - started < 5
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "browser tests need Debian's chromium: run `sudo apt-get install -y chromium`, then make test again"
    ]


def test_make_test_runs_the_check_before_anything_else() -> None:
    recipe = subprocess.run(
        ["make", "-n", "test"], cwd=REPO, capture_output=True, text=True, timeout=30, env={**os.environ}
    ).stdout.splitlines()
    steps = [line for line in recipe if "ensure-chromium" in line or "pytest" in line or "ruff" in line]
    assert "ensure-chromium" in steps[0]
