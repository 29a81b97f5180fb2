"""`make deploy`'s web UI step: webui/ and a config.js made from the stack outputs, to the private UI
bucket behind CloudFront, then an invalidation so the new files are served at once.

config.js is public (anyone who can load the page reads it), so it carries the API's address and
nothing else; the page asks for the API key once and keeps it in the browser (webui/common.js).
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from framewatch.aws import cloudfront, s3
from framewatch.errors import UserError

WEBUI_DIR = Path(__file__).resolve().parents[2] / "webui"
# Small files that change with every deploy: browsers revalidate, CloudFront is invalidated.
CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class UiFile:
    key: str
    body: bytes
    content_type: str


def config_js(api_url: str) -> bytes:
    config = {"apiBase": api_url.rstrip("/") + "/api"}
    return f"window.FRAMEWATCH = {json.dumps(config)};\n".encode()


def ui_files(api_url: str, webui_dir: Path = WEBUI_DIR) -> list[UiFile]:
    if not api_url.startswith("https://"):
        raise UserError(f"the stack's ApiUrl output {api_url!r} is not an https URL; is the stack deployed?")
    files = []
    for path in sorted(p for p in webui_dir.rglob("*") if p.is_file()):
        key = path.relative_to(webui_dir).as_posix()
        if key == "config.js" or key.startswith("."):
            continue  # made below from the outputs; dotfiles are not part of the site
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith("javascript"):
            kind += "; charset=utf-8"
        files.append(UiFile(key, path.read_bytes(), kind))
    files.append(UiFile("config.js", config_js(api_url), "text/javascript; charset=utf-8"))
    return files


def publish(outputs: dict[str, str], webui_dir: Path = WEBUI_DIR) -> str:
    """Uploads the UI for a deployed stack's outputs; returns the UI's URL."""
    missing = [
        k for k in ("ApiUrl", "WebUiBucketName", "WebUiDistributionId", "WebUiUrl") if k not in outputs
    ]
    if missing:
        raise UserError(
            f"the stack has no {', '.join(missing)} output; deploy with DeployWebUi=true (the default)"
        )
    for item in ui_files(outputs["ApiUrl"], webui_dir):
        s3.put_object(
            outputs["WebUiBucketName"], item.key, item.body, item.content_type, cache_control=CACHE_CONTROL
        )
    cloudfront.invalidate_all(outputs["WebUiDistributionId"])
    return outputs["WebUiUrl"]
