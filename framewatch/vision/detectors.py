"""Which object detector a model file is: the bundled NanoDet layout or an Ultralytics YOLO export.

Apart from ``objects`` and ``yolo`` so that neither imports the other (``yolo`` builds on
``objects``' detector protocol and post-processing).
"""

from __future__ import annotations

import os
from pathlib import Path

from framewatch.errors import UserError
from framewatch.vision.objects import BUNDLED_MODEL, DEFAULT_THREADS, Detector, NanoDet, session
from framewatch.vision.yolo import YoloDetector


def load_detector(path: str | os.PathLike[str] | None = None, threads: int = DEFAULT_THREADS) -> Detector:
    """The bundled NanoDet, or the model at ``path`` (NanoDet layout or Ultralytics YOLO)."""
    model = Path(path) if path else BUNDLED_MODEL
    if not model.is_file():
        hint = "" if path else "; run `make models` to build it"
        raise UserError(f"labels model not found: {model}{hint}")
    try:
        probe = session(model, threads)
    except Exception as exc:
        raise UserError(f"cannot load labels model {model}: {exc}") from exc
    outputs = probe.get_outputs()
    if len(outputs) == 1:
        return YoloDetector(model, threads=threads, loaded=probe)
    if len(outputs) == 6:
        return NanoDet(model, threads, loaded=probe)
    raise UserError(
        f"labels model {model} has {len(outputs)} outputs; expected an Ultralytics YOLO export "
        "(one [1, 4+classes, N] output) or the bundled NanoDet layout"
    )
