"""Edit the workflow while it runs: `up` applies saved edits of the ASL files and the watch list.

Every second the watcher looks at each state machine's ASL file (the template's ``DefinitionUri``)
and at the watch list. Plain polling of a few files (size, mtime, then content) rather than
watchdog/inotify: it needs no dependency, sees edits on bind mounts and network folders where
inotify events never arrive, and editors that save by rename-and-replace look the same to it.

A changed ASL file is resolved with the deploy's own ``DefinitionSubstitutions`` and checked with
``validate_definition`` (statelint, as AWS checks it): an invalid edit is refused with one line naming
the file and the state, and the running definition stays; a valid one is applied with
UpdateStateMachine, so the next execution (the next batch of frames) runs it. A changed watch list is
validated the same way and uploaded where the evaluate function reads it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from framewatch.aws.clients import client
from framewatch.errors import UserError
from framewatch.workflows.validate import validate_definition

POLL_SECONDS = 1.0
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass
class Watched:
    path: Path
    apply: Callable[[str], str]  # returns what to print; raises UserError to refuse
    stamp: tuple[int, int] = (0, 0)
    digest: str = ""


class LiveReload(threading.Thread):
    def __init__(self, emit: Callable[[str], None], interval: float = POLL_SECONDS) -> None:
        super().__init__(name="live-reload", daemon=True)
        self.emit, self.interval = emit, interval
        self.stop_event = threading.Event()
        self.watched: list[Watched] = []
        self.applied = 0
        self.refused = 0

    def watch(self, path: Path, apply: Callable[[str], str]) -> None:
        item = Watched(path, apply)
        self._changed(item)  # what is there now is what runs: remember it, apply nothing
        self.watched.append(item)

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.check()

    def stop(self) -> None:
        self.stop_event.set()
        if self.is_alive():
            self.join(5)

    def check(self) -> None:
        for item in self.watched:
            text = self._changed(item)
            if text is None:
                continue
            try:
                self.emit(item.apply(text))
                self.applied += 1
            except UserError as exc:
                self.refused += 1
                self.emit(str(exc))
            except Exception as exc:  # the emulator refused it: same outcome, the old one runs
                self.refused += 1
                self.emit(f"could not apply {item.path}: {exc}; the running version is kept")

    @staticmethod
    def _changed(item: Watched) -> str | None:
        try:
            info = item.path.stat()
            stamp = (info.st_mtime_ns, info.st_size)
            if stamp == item.stamp:
                return None
            text = item.path.read_text()
        except OSError:
            return None  # mid-save (rename-and-replace) or deleted: look again next time
        if not text.strip():
            return None  # truncated for an in-place save, not yet written: look again next time
        item.stamp = stamp
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest == item.digest:
            return None  # touched, not changed
        first = not item.digest
        item.digest = digest
        return None if first else text


def workflow_applier(
    state_machine_arn: str, path: Path, substitutions: dict[str, str]
) -> Callable[[str], str]:
    def apply(text: str) -> str:
        problems = validate_definition(text, str(path), substitutions)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise UserError(f"edit refused, the running workflow is kept: {problems[0]}{more}")
        resolved = _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
        client("stepfunctions").update_state_machine(stateMachineArn=state_machine_arn, definition=resolved)
        return f"applied {path}: the next execution runs the edited workflow"

    return apply
