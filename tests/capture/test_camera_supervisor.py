"""`up --cameras`: every camera supervised; a failing one restarts with backoff, the others go on."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from capture.config import validate_options
from capture.sinks import DryRunSink
from capture.supervisor import CameraSupervisor
from framewatch.media import clip_path


def _wait(predicate, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _row(supervisor: CameraSupervisor, camera: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in supervisor.report() if r["camera_id"] == camera)


def test_a_failing_camera_restarts_while_another_keeps_sending(tmp_path: Path) -> None:
    late = tmp_path / "late.mp4"  # not there yet: the "yard" camera fails until it appears
    options = validate_options(
        {
            "cameras": [
                {"id": "door", "source": str(clip_path("bikes.mp4")), "loop": True, "fps": 10,
                 "motion": {"enabled": False}},
                {"id": "yard", "source": str(late), "fps": 10, "motion": {"enabled": False}},
            ],
            "reconnect": {"initial_s": 0.2, "max_s": 0.8},
            "status": False,
        }
    )  # fmt: skip
    supervisor = CameraSupervisor(options, DryRunSink(tmp_path / "out")).start()
    try:
        assert _wait(lambda: _row(supervisor, "yard")["restarts"] >= 3)
        yard = _row(supervisor, "yard")
        assert yard["frames_sent"] == 0 and "late.mp4" in yard["last_error"]
        assert yard["state"].startswith(("restarting in", "running"))
        door_before = _row(supervisor, "door")["frames_sent"]
        assert _wait(lambda: _row(supervisor, "door")["frames_sent"] > door_before + 5)  # unaffected
        assert _row(supervisor, "door")["restarts"] == 0

        shutil.copy(clip_path("bikes.mp4"), late)  # the camera comes back
        assert _wait(lambda: _row(supervisor, "yard")["frames_sent"] > 0)
        door = _row(supervisor, "door")
        assert door["last_frame_at"] and door["sent_per_minute"] > 0
    finally:
        supervisor.stop()
    sent = (tmp_path / "out" / "records.jsonl").read_text()
    assert '"camera_id":"yard"' in sent.replace(" ", "") and '"camera_id":"door"' in sent.replace(" ", "")
