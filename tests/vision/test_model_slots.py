"""Model calls beyond the service's slots wait their turn: none fails, and no more run at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from framewatch.vision.collections import FaceStore
from framewatch.vision.faces import FaceEngine
from framewatch.vision.protocol import RekognitionService
from framewatch.vision.server import serve_in_thread

from .helpers import frame, jpeg, rekognition_client

CALLERS = 6
SLOTS = 2


class Concurrency:
    """Counts the model calls running at once, across every model it watches."""

    def __init__(self) -> None:
        self.running = self.peak = 0
        self._lock = threading.Lock()

    def watch(self, model: Any) -> Any:
        outer = self

        class Watched:
            def __getattr__(self, name: str) -> Any:
                return getattr(model, name)

            def detect(self, pixels: Any) -> Any:
                with outer._lock:
                    outer.running += 1
                    outer.peak = max(outer.peak, outer.running)
                try:
                    return model.detect(pixels)
                finally:
                    with outer._lock:
                        outer.running -= 1

        return Watched()


def test_callers_beyond_the_slots_wait_and_all_get_answers(
    tmp_path: Path, loaded_service: RekognitionService
) -> None:
    concurrency = Concurrency()
    faces = FaceEngine()
    service = RekognitionService(
        FaceStore(tmp_path),
        concurrency.watch(faces),
        concurrency.watch(loaded_service.detector),
        model_slots=SLOTS,
    )
    handle = serve_in_thread("127.0.0.1", 0, tmp_path, service=service)
    image = {"Bytes": jpeg(frame("bikes.mp4", 140))}
    start = threading.Barrier(CALLERS)

    def caller(n: int) -> tuple[int, int]:
        client = rekognition_client(handle.url)
        start.wait()
        labels = faces_found = 0
        for _ in range(3):
            labels += len(client.detect_labels(Image=image)["Labels"])
            faces_found += len(client.detect_faces(Image=image)["FaceDetails"])
        return labels, faces_found

    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            answers = list(pool.map(caller, range(CALLERS)))
    finally:
        handle.stop()

    assert len(set(answers)) == 1 and answers[0][0] > 0, answers  # every caller, the same answers
    assert concurrency.peak <= SLOTS
    # The face pool holds at most one loaded pair per slot, however many callers there were.
    assert len(faces._idle) <= SLOTS
