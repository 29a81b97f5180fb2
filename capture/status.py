"""The live status line (stderr, only on a terminal) and the summary printed at exit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rich.console import Console
from rich.live import Live
from rich.text import Text

from capture.stats import CaptureSummary


class StatusLine:
    """Redraws one line per camera a few times a second: fps in, fps sent, gated, queued,
    dropped, failed, last error. Log lines printed meanwhile scroll above it."""

    def __init__(
        self,
        snapshot: Callable[[], CaptureSummary],
        queued: Callable[[], int],
        console: Console | None = None,
        interval: float = 0.5,
    ) -> None:
        self._snapshot = snapshot
        self._queued = queued
        self._console = console or Console(stderr=True)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="capture-status", daemon=True)
        self._previous: tuple[float, CaptureSummary] | None = None

    def __enter__(self) -> StatusLine:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)

    def render(self) -> Text:
        now = time.monotonic()
        summary = self._snapshot()
        previous = self._previous
        self._previous = (now, summary)
        text = Text()
        for camera, counts in summary.cameras.items():
            fps_in = fps_sent = 0.0
            if previous is not None and now > previous[0]:
                before = previous[1].cameras[camera]
                elapsed = now - previous[0]
                fps_in = (counts.frames_read - before.frames_read) / elapsed
                fps_sent = (counts.frames_sent - before.frames_sent) / elapsed
            if text:
                text.append("\n")
            text.append(f"{camera} ", style="bold")
            text.append(f"in {fps_in:5.1f} fps · sent {fps_sent:5.1f} fps · gated {counts.frames_gated} · ")
            text.append(f"dropped {counts.frames_dropped}", style="yellow" if counts.frames_dropped else "")
            text.append(" · ")
            text.append(f"failed {counts.frames_failed}", style="red" if counts.frames_failed else "")
            if counts.reconnects:
                text.append(f" · reconnects {counts.reconnects}")
            error = summary.last_errors.get(camera)
            if error:
                text.append(f" · last error: {error[:80]}", style="red")
        text.append(f" · queued {self._queued()}", style="dim")
        return text

    def _run(self) -> None:
        with Live(self.render(), console=self._console, refresh_per_second=4, transient=True) as live:
            while not self._stop.wait(self._interval):
                live.update(self.render())


def summary_table(summary: CaptureSummary) -> str:
    """A few human lines for stderr at exit."""
    lines = []
    for camera, counts in summary.cameras.items():
        lines.append(
            f"{camera}: read {counts.frames_read}, sampled {counts.frames_sampled}, "
            f"gated {counts.frames_gated}, sent {counts.frames_sent}, dropped "
            f"{counts.frames_dropped}, failed {counts.frames_failed}, claim-checks "
            f"{counts.claim_checks}, reconnects {counts.reconnects}"
        )
        if camera in summary.last_errors:
            lines.append(f"{camera}: last error: {summary.last_errors[camera]}")
    return "\n".join(lines)
