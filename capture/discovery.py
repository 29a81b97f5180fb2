"""Finding a running `framewatch up` from another terminal: ``<data dir>/stack.json``.

`up` writes what a capture client needs (endpoint, stream, bucket, UI address, API key) into the
data dir, readable by its owner only (it holds the API key), and removes it on a clean stop. A file
left behind by a crash is recognised as stale: its process is gone or its endpoint does not answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path("var/framewatch")
FILE_NAME = "stack.json"
FIELDS = ("endpoint_url", "stream", "bucket", "ui_url", "api_key")


def write(data_dir: Path, info: dict[str, Any]) -> Path:
    path = data_dir / FILE_NAME
    partial = path.with_name(FILE_NAME + ".part")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
    with os.fdopen(descriptor, "w") as out:
        json.dump({**info, "pid": os.getpid()}, out, indent=2)
    os.replace(partial, path)
    return path


def remove(data_dir: Path) -> None:
    (data_dir / FILE_NAME).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def find(data_dir: Path) -> dict[str, Any] | None:
    """The running stack's details, or None when there is no file or the stack behind it is gone."""
    try:
        info = json.loads((data_dir / FILE_NAME).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not all(info.get(k) for k in ("endpoint_url", "stream")):
        return None
    if isinstance(info.get("pid"), int) and not _alive(info["pid"]):
        return None
    try:  # any HTTP answer means the emulator is there; a refused connection means a stale file
        urllib.request.urlopen(f"{info['endpoint_url']}/moto-api/", timeout=2).close()
    except urllib.error.HTTPError:
        pass
    except OSError:
        return None
    return info


def environment(info: dict[str, Any], region: str = "us-east-1") -> dict[str, str]:
    """The variables a capture client needs to talk to the local stack (its fake account)."""
    return {
        "AWS_ENDPOINT_URL": str(info["endpoint_url"]),
        "AWS_ACCESS_KEY_ID": "framewatch-local",
        "AWS_SECRET_ACCESS_KEY": "framewatch-local",
        "AWS_DEFAULT_REGION": str(info.get("region") or region),
    }
