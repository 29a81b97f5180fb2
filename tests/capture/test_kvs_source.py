"""`kvs://STREAM`: an existing Kinesis Video Stream read as HLS, offline.

The stream lives in the emulator (CreateStream, GetDataEndpoint); the emulator's
GetHLSStreamingSessionURL hands out a URL on a host that does not exist, so that one call is answered
at the HTTP boundary by a loopback server, which also serves an HLS stream that a real ffmpeg (from
the imageio-ffmpeg wheel) made from the bundled clip."""

from __future__ import annotations

import functools
import json
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from moto.server import ThreadedMotoServer

from capture.config import validate_options
from capture.session import run_capture
from framewatch.aws import clients
from framewatch.media import clip_path


@pytest.fixture(scope="module")
def hls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hls")
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(clip_path("bikes.mp4")),
         "-t", "4", "-c:v", "mpeg2video", "-q:v", "4", "-an", "-f", "hls", "-hls_time", "1",
         "-hls_list_size", "0", str(folder / "live.m3u8")],
        check=True, timeout=120,
    )  # fmt: skip
    return folder


class _ArchivedMedia(SimpleHTTPRequestHandler):
    """GetHLSStreamingSessionURL (a POST, as the SDK sends it) and the HLS files (GETs)."""

    calls: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        type(self).calls.append({"path": self.path, **body})
        host, port = self.server.server_address[:2]
        answer = json.dumps({"HLSStreamingSessionURL": f"http://{host}:{port}/live.m3u8"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def kvs(hls: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    emulator = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    emulator.start()
    handler = type("Handler", (_ArchivedMedia,), {"calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(hls)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = emulator.get_host_and_port()
    # The emulator's state lives in this process: start from none.
    urllib.request.urlopen(
        urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")
    ).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL_KINESIS_VIDEO_ARCHIVED_MEDIA", f"http://127.0.0.1:{server.server_port}"
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    clients.reset()
    clients.client("kinesisvideo").create_stream(StreamName="porch-kvs", DataRetentionInHours=24)
    try:
        yield handler.calls
    finally:
        server.shutdown()
        emulator.stop()
        clients.reset()


def test_the_kvs_source_reads_the_stream_as_hls(kvs: list[dict[str, Any]], tmp_path: Path) -> None:
    options = validate_options(
        {
            "cameras": [{"id": "porch", "source": "kvs://porch-kvs", "every": 5, "max_frames": 40,
                         "motion": {"enabled": False}}],
            "dry_run": tmp_path / "out",
            "status": False,
        }
    )  # fmt: skip
    summary = run_capture(options)
    counts = summary.cameras["porch"]
    assert counts.frames_read == 40 and counts.frames_sent == 8
    assert kvs[0]["StreamName"] == "porch-kvs" and kvs[0]["PlaybackMode"] == "LIVE"
    records = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text().splitlines()]
    assert {r["camera_id"] for r in records} == {"porch"} and records[0]["width"] == 640


def test_a_missing_kvs_stream_says_what_to_check(kvs: list[dict[str, Any]], tmp_path: Path) -> None:
    from framewatch.errors import UserError

    options = validate_options(
        {"cameras": [{"id": "gate", "source": "kvs://no-such-stream"}], "dry_run": tmp_path, "status": False}
    )
    with pytest.raises(UserError) as refused:
        run_capture(options)
    message = str(refused.value)
    assert message.startswith("camera gate: Kinesis Video Stream no-such-stream: ResourceNotFoundException")
    assert "check that stream no-such-stream exists" in message and "\n" not in message
