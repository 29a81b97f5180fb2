"""Track objects: apply a batch's analysed frames, per camera in capture order, to the camera's tracks.

The camera's state is read, the frames newer than its last applied frame are applied, and the new
state is written together with the incidents it changed and the alerts it decided, in one conditional
write on the version that was read. A replayed batch applies nothing; two executions that raced for
one camera cannot both write, and the loser applies its frames again on the winner's state.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from framewatch.core.frame_record import utc_iso
from framewatch.core.frame_ref import FrameRef, parse_captured_at
from framewatch.core.incidents import AlertContext, AlertDue, CameraIncidents, CameraState, IncidentRecord
from framewatch.core.tracking import FrameInfo
from framewatch.core.watchlist import Observation, WatchList

# How often a camera's write is tried again on a newer version before the workflow's Retry takes over.
COMMIT_ATTEMPTS = 5
# An alert claimed this long ago by an execution that never marked it sent may be taken over.
CLAIM_STALE_SECONDS = 60
UPLOAD_SOURCE = "upload"


class TrackStateConflict(Exception):
    """Another execution kept writing the camera's tracks first; the workflow retries the batch."""


class StoredState(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: CameraState
    version: int
    updated_at: str | None = None  # wall clock of the last write (ISO-8601 UTC)


class TrackStore(Protocol):
    """Where cameras' tracks, incidents and the alert outbox live (DynamoDB, or memory in tests)."""

    def load(self, camera_id: str) -> StoredState | None: ...

    def commit(
        self,
        camera_id: str,
        expected_version: int | None,
        state: CameraState,
        incidents: list[IncidentRecord],
        alerts: list[AlertDue],
        expires_at: int,
    ) -> bool:
        """Write all of it if the stored version is still ``expected_version``; False if it is not."""
        ...

    def pending_alerts(self, camera_id: str, stale_before: str) -> list[dict[str, Any]]: ...

    def quiet_cameras(self, updated_before: str) -> list[str]:
        """Cameras whose tracks were last written before ``updated_before`` (ISO-8601 UTC)."""
        ...


class AnalyzedFrame(BaseModel):
    """One element of the "Analyze each frame" Map's output."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    frame: FrameRef
    observations: list[Observation] = []
    outcome: str = "analyzed"


def frame_info(frame: FrameRef) -> FrameInfo:
    return FrameInfo(
        camera_id=frame.camera_id,
        frame_id=frame.frame_id,
        frame_key=frame.frame_key,
        captured_at=frame.captured_at,
        time=parse_captured_at(frame.captured_at).timestamp(),
        bucket=frame.bucket,
        s3_key=frame.s3_key,
    )


def track_batch(
    frames: list[AnalyzedFrame],
    store: TrackStore,
    watchlist: WatchList,
    context: AlertContext,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Apply the batch; return every alert of its cameras still waiting to be sent, oldest first."""
    by_camera: dict[str, list[AnalyzedFrame]] = defaultdict(list)
    for analyzed in frames:
        # A dead-lettered frame saw nothing; an uploaded photo is a one-off look, not a camera's scene.
        if analyzed.outcome == "analyzed" and analyzed.frame.source != UPLOAD_SOURCE:
            by_camera[analyzed.frame.camera_id].append(analyzed)
    stale_before = utc_iso((now or datetime.now(UTC)) - timedelta(seconds=CLAIM_STALE_SECONDS))
    pending: list[dict[str, Any]] = []
    for camera_id, camera_frames in sorted(by_camera.items()):
        camera_frames.sort(key=lambda f: f.frame.frame_key)
        apply_camera(camera_id, camera_frames, store, watchlist, context)
        pending.extend(
            {**item, "stale_before": stale_before} for item in store.pending_alerts(camera_id, stale_before)
        )
    return sorted(pending, key=lambda a: (a["captured_at"], a["alert_id"]))


def apply_camera(
    camera_id: str,
    frames: list[AnalyzedFrame],
    store: TrackStore,
    watchlist: WatchList,
    context: AlertContext,
) -> int:
    """Apply a camera's frames (capture order) with optimistic locking; returns how many were new."""
    for _ in range(COMMIT_ATTEMPTS):
        stored = store.load(camera_id)
        state = stored.state if stored else CameraState()
        # An older or equal frame than the last applied one is a replay: a no-op.
        fresh = [
            f for f in frames if state.last_frame_key is None or f.frame.frame_key > state.last_frame_key
        ]
        if not fresh:
            return 0
        camera = CameraIncidents(state, watchlist, context)
        incidents: dict[str, IncidentRecord] = {}
        alerts: list[AlertDue] = []
        for analyzed in fresh:
            outcome = camera.apply(frame_info(analyzed.frame), analyzed.observations)
            for record in outcome.incidents:
                previous = incidents.get(record.incident_id)
                # Keep "an alert was decided" if an earlier frame of this batch decided it.
                due = record.alert_due or (previous is not None and previous.alert_due)
                incidents[record.incident_id] = record.model_copy(update={"alert_due": due})
            alerts.extend(outcome.alerts)
        expires_at = fresh[-1].frame.expires_at
        if store.commit(
            camera_id, stored.version if stored else None, state, list(incidents.values()), alerts, expires_at
        ):
            return len(fresh)
    raise TrackStateConflict(f"camera {camera_id}: tracks changed under {COMMIT_ATTEMPTS} attempts in a row")


# Beyond the longest a track may go unseen, a margin so that a batch still in flight lands first.
QUIET_MARGIN_SECONDS = 60


def end_quiet_incidents(
    store: TrackStore, watchlist: WatchList, context: AlertContext, now: datetime | None = None
) -> int:
    """End the incidents of cameras that sent nothing for longer than a stationary track may go
    unseen (a camera's keepalive sends a frame every few seconds even on a still scene, so that much
    silence means the camera or its link is down). Returns how many incidents ended."""
    now = now or datetime.now(UTC)
    quiet_after = timedelta(seconds=watchlist.tracking.stationary_lost_after_seconds + QUIET_MARGIN_SECONDS)
    return sum(
        _end_quiet_camera(camera_id, store, watchlist, context, now, quiet_after)
        for camera_id in store.quiet_cameras(utc_iso(now - quiet_after))
    )


def _end_quiet_camera(
    camera_id: str,
    store: TrackStore,
    watchlist: WatchList,
    context: AlertContext,
    now: datetime,
    quiet_after: timedelta,
) -> int:
    for _ in range(COMMIT_ATTEMPTS):
        stored = store.load(camera_id)
        if stored is None or stored.updated_at is None or stored.state.tracker.last_time is None:
            return 0
        silence = now - parse_captured_at(stored.updated_at)
        if silence < quiet_after:  # a frame came in meanwhile
            return 0
        # Silence is measured on the wall clock; tracks age on the camera's clock, which may be off.
        at = stored.state.tracker.last_time + silence.total_seconds()
        ended = CameraIncidents(stored.state, watchlist, context).end_quiet(camera_id, at)
        if not ended:
            return 0
        expires_at = int((now + timedelta(days=context.retention_days)).timestamp())
        if store.commit(camera_id, stored.version, stored.state, ended, [], expires_at):
            return len(ended)
    raise TrackStateConflict(f"camera {camera_id}: tracks changed under {COMMIT_ATTEMPTS} attempts in a row")
