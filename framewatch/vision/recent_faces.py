"""The face detections of the last few images the service saw, keyed by the image's bytes.

The pipeline asks DetectFaces about a frame and then, for a lone face, SearchFacesByImage about the
same S3 object: without this the second call ran the face detector again on the same pixels (10 to
19 ms of CPU per frame with a face, measured bare). Detection is a pure function of the bytes, so
an answer kept under their digest is the answer the detector would give again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from framewatch.vision.faces import Face

KEPT = 32  # a few Map batches' worth of frames; each entry is a handful of small arrays


class RecentFaces:
    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._answers: OrderedDict[bytes, list[Face]] = OrderedDict()
        self._lock = threading.Lock()

    def detect(self, data: bytes, run: Callable[[], list[Face]]) -> list[Face]:
        """The faces in ``data``: kept ones if these bytes were seen lately, else ``run()``'s."""
        digest = hashlib.blake2b(data, digest_size=16).digest()
        with self._lock:
            if digest in self._answers:
                self._answers.move_to_end(digest)
                return list(self._answers[digest])
        found = run()  # outside the lock: two callers with new images detect at once
        with self._lock:
            self._answers[digest] = list(found)
            while len(self._answers) > self.kept:
                self._answers.popitem(last=False)
        return found
