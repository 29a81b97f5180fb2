"""Multi-object tracking for one camera: detections of successive frames become tracks.

Each track's box is predicted with a constant-velocity Kalman filter (filterpy) over capture time, and
a frame's detections are matched to the predicted boxes with the Hungarian method (scipy's
``linear_sum_assignment``). The whole state is plain JSON, so it lives in one DynamoDB item per camera
between Lambda invocations; time is capture time (seconds), never wall-clock time, so a replayed or
backlogged batch ends the same way as a live one.

Lifecycle: ``tentative`` → ``confirmed`` after ``min_hits`` frames → ``lost`` once not seen for
``lost_after_seconds`` (``stationary_lost_after_seconds`` for a stationary track). A track is
``stationary`` when its box stayed within ``stationary_iou`` of where it stopped for
``stationary_seconds``; it moves again when it leaves that box.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

import numpy as np
from filterpy.kalman import KalmanFilter
from pydantic import BaseModel, ConfigDict
from scipy.optimize import linear_sum_assignment

from framewatch.core.geometry import Box
from framewatch.core.watchlist import FACE, Observation, Tracking, Zone

TrackStatus = Literal["tentative", "confirmed", "lost"]
# Cost of a pair that must never be matched; far above any allowed pair's cost (at most 2 + 10).
_FORBIDDEN = 1e6
# Kalman noise in image ratios: measurement jitter of a detector's box, and how fast velocity drifts.
_MEASUREMENT_SD = 0.02
_VELOCITY_DRIFT_SD = 0.05
_INITIAL_VELOCITY_SD = 0.3


class FrameSeen(BaseModel):
    """The frame a track was best seen in, as the incident shows it."""

    model_config = ConfigDict(frozen=True)

    frame_id: str
    frame_key: str
    captured_at: str
    bucket: str
    s3_key: str
    box: Box
    score: float


class Track(BaseModel):
    model_config = ConfigDict(extra="forbid")

    track_id: str
    kind: Literal["object", "face"]
    family: str
    status: TrackStatus = "tentative"
    labels: dict[str, int] = {}  # label → frames it was called that (the most frequent names the track)
    first_seen: float
    last_seen: float
    # The same instants as the frames' own ISO stamps, so an incident's frames can be found by key.
    first_seen_at: str
    last_seen_at: str
    hits: int = 1
    box: Box
    kalman_x: list[float]  # cx, cy, w, h, vx, vy at last_seen
    kalman_p: list[list[float]]
    anchor: Box  # where the object stopped moving, and since when
    anchor_since: float
    stationary: bool = False
    # The first frame since the last hit that did not see the track (None: the last frame saw it).
    missed_since: float | None = None
    rules_met: dict[str, int] = {}  # rule → frames whose own detection met it
    zones_inside: dict[str, float] = {}  # zone the bottom-centre is in now → capture time it entered
    zones_entered: list[str] = []
    person_votes: dict[str, int] = {}  # person id → frames whose face matched them
    person_names: dict[str, str] = {}
    person_id: str | None = None  # named once enough frames agree
    unknown_face_frames: int = 0
    best: FrameSeen | None = None
    # Set only for the frame being applied, so incident rules know whether this frame saw the track.
    seen_now: bool = False

    @property
    def label(self) -> str:
        # Ties go to the name seen first (dicts keep insertion order; most_common is stable).
        return Counter(self.labels).most_common(1)[0][0] if self.labels else self.family

    @property
    def person_name(self) -> str | None:
        return self.person_names.get(self.person_id) if self.person_id else None


class TrackerState(BaseModel):
    """Everything the tracker knows about one camera; the JSON in the camera's tracks item."""

    model_config = ConfigDict(extra="forbid")

    next_track: int = 1
    last_time: float | None = None
    tracks: list[Track] = []


class FrameInfo(BaseModel):
    """The frame being applied (what a track's best frame and an incident point at)."""

    model_config = ConfigDict(frozen=True)

    camera_id: str
    frame_id: str
    frame_key: str
    captured_at: str
    time: float  # capture time, epoch seconds
    bucket: str
    s3_key: str


def iou(a: Box, b: Box) -> float:
    left, top = max(a.left, b.left), max(a.top, b.top)
    right = min(a.left + a.width, b.left + b.width)
    bottom = min(a.top + a.height, b.top + b.height)
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def _centre(box: Box) -> tuple[float, float]:
    return box.left + box.width / 2, box.top + box.height / 2


def _contains_centre(outer: Box, inner: Box) -> bool:
    x, y = _centre(inner)
    return outer.left <= x <= outer.left + outer.width and outer.top <= y <= outer.top + outer.height


# ------------------------------------------------------------------------------------------ motion
def _kalman(x: list[float], p: list[list[float]], dt: float) -> KalmanFilter:
    """A constant-velocity filter on the box centre (size follows the measurements), advanced dt s."""
    kf = KalmanFilter(dim_x=6, dim_z=4)
    kf.x = np.array(x, dtype=float).reshape(6, 1)
    kf.P = np.array(p, dtype=float)
    kf.H = np.hstack([np.eye(4), np.zeros((4, 2))])
    kf.R = np.eye(4) * _MEASUREMENT_SD**2
    kf.F = np.eye(6)
    kf.F[0, 4] = kf.F[1, 5] = dt
    kf.Q = np.diag([0.0, 0.0, 0.0, 0.0, 1.0, 1.0]) * (_VELOCITY_DRIFT_SD**2) * max(dt, 0.0)
    return kf


def _measurement(box: Box) -> np.ndarray:
    cx, cy = _centre(box)
    return np.array([cx, cy, box.width, box.height], dtype=float).reshape(4, 1)


def _initial_state(box: Box) -> tuple[list[float], list[list[float]]]:
    cx, cy = _centre(box)
    p = np.diag([_MEASUREMENT_SD**2] * 4 + [_INITIAL_VELOCITY_SD**2] * 2)
    return [cx, cy, box.width, box.height, 0.0, 0.0], p.tolist()


def predicted_box(track: Track, at: float) -> Box:
    """Where the track should be at capture time ``at``: its centre moved by its velocity."""
    dt = max(0.0, at - track.last_seen)
    cx, cy, _, _, vx, vy = track.kalman_x
    w, h = track.box.width, track.box.height
    return _clamped_box(cx + vx * dt - w / 2, cy + vy * dt - h / 2, w, h)


def _clamped_box(left: float, top: float, width: float, height: float) -> Box:
    return Box(
        left=min(max(left, -0.5), 1.5),
        top=min(max(top, -0.5), 1.5),
        width=min(max(width, 0.0), 2.0),
        height=min(max(height, 0.0), 2.0),
    )


def _correct(track: Track, box: Box, at: float) -> None:
    kf = _kalman(track.kalman_x, track.kalman_p, max(0.0, at - track.last_seen))
    kf.predict()
    kf.update(_measurement(box))
    track.kalman_x = [float(v) for v in kf.x.reshape(6)]
    track.kalman_p = kf.P.tolist()


# ---------------------------------------------------------------------------------------- matching
def _pair_cost(track: Track, observation: Observation, at: float, settings: Tracking) -> float:
    """Lower is better; _FORBIDDEN where the detection cannot continue the track."""
    if track.family != observation.family:
        return _FORBIDDEN
    predicted = predicted_box(track, at)
    # The last measured box too: after a long gap of a motion-gated camera the velocity is stale.
    overlap = max(iou(predicted, observation.box), iou(track.box, observation.box))
    (px, py), (ox, oy) = _centre(predicted), _centre(observation.box)
    # In the track's own size: a large new box nearby must not swallow a small track.
    size = max(track.box.width, track.box.height, 1e-6)
    distance = ((px - ox) ** 2 + (py - oy) ** 2) ** 0.5 / size
    if overlap < settings.match_iou and distance > settings.max_centre_distance:
        return _FORBIDDEN
    return float((1.0 - overlap) + min(distance, 10.0))


def _assign(
    tracks: list[Track], observations: list[Observation], at: float, settings: Tracking
) -> dict[int, int]:
    """observation index → track index, the cheapest allowed one-to-one matching."""
    if not tracks or not observations:
        return {}
    cost = np.array([[_pair_cost(t, o, at, settings) for t in tracks] for o in observations])
    rows, cols = linear_sum_assignment(cost)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if cost[r, c] < _FORBIDDEN}


# ------------------------------------------------------------------------------------------ update
class Tracker:
    """Applies frames of one camera, in capture order, to its state."""

    def __init__(self, state: TrackerState, settings: Tracking, zones: dict[str, Zone]) -> None:
        self.state = state
        self.settings = settings
        self.zones = zones

    def apply(self, frame: FrameInfo, observations: list[Observation]) -> list[Track]:
        """Match, create, confirm and lose tracks for one frame; returns the tracks lost by it."""
        at = frame.time
        for track in self.state.tracks:
            track.seen_now = False
        live = list(self.state.tracks)  # lost tracks leave the state as they are reported
        objects = [o for o in observations if o.kind == "object"]
        faces = [o for o in observations if o.kind == "face"]

        matched = _assign(live, objects, at, self.settings)
        for index, observation in enumerate(objects):
            if index in matched:
                self._hit(live[matched[index]], observation, frame)
            else:
                live.append(self._new_track(observation, frame))

        # A face belongs to the person track it is inside; only a face with no body is a track itself.
        bodies = [t for t in live if t.seen_now and t.kind == "object" and t.family == "Person"]
        loose: list[Observation] = []
        for face in faces:
            body = max(
                (t for t in bodies if _contains_centre(t.box, face.box)),
                key=lambda t: iou(t.box, face.box),
                default=None,
            )
            if body is not None:
                self._face_seen(body, face)
            else:
                loose.append(face)
        face_tracks = [t for t in live if t.kind == "face" and not t.seen_now]
        matched_faces = _assign(face_tracks, loose, at, self.settings)
        for index, face in enumerate(loose):
            if index in matched_faces:
                self._hit(face_tracks[matched_faces[index]], face, frame)
            else:
                live.append(self._new_track(face, frame))

        for track in self.state.tracks:
            if not track.seen_now and track.missed_since is None:
                track.missed_since = at
        lost = self._age(at)
        self.state.last_time = at
        return lost

    def _new_track(self, observation: Observation, frame: FrameInfo) -> Track:
        x, p = _initial_state(observation.box)
        track = Track(
            track_id=f"t{self.state.next_track}",
            kind=observation.kind,
            family=observation.family,
            first_seen=frame.time,
            last_seen=frame.time,
            first_seen_at=frame.captured_at,
            last_seen_at=frame.captured_at,
            hits=0,
            box=observation.box,
            kalman_x=x,
            kalman_p=p,
            anchor=observation.box,
            anchor_since=frame.time,
        )
        self.state.next_track += 1
        self.state.tracks.append(track)
        self._hit(track, observation, frame, first=True)
        return track

    def _hit(self, track: Track, observation: Observation, frame: FrameInfo, first: bool = False) -> None:
        if not first:
            _correct(track, observation.box, frame.time)
        track.hits += 1
        track.last_seen = frame.time
        track.last_seen_at = frame.captured_at
        track.missed_since = None
        track.box = observation.box
        track.seen_now = True
        track.labels[observation.label] = track.labels.get(observation.label, 0) + 1
        for rule in observation.rules:
            track.rules_met[rule] = track.rules_met.get(rule, 0) + 1
        if track.status == "tentative" and track.hits >= self.settings.min_hits:
            track.status = "confirmed"
        self._stillness(track, frame.time)
        self._zones(track, frame)
        if observation.kind == "face" and track.kind == "face":
            self._face_seen(track, observation)
        if track.best is None or observation.confidence > track.best.score:
            track.best = FrameSeen(
                frame_id=frame.frame_id,
                frame_key=frame.frame_key,
                captured_at=frame.captured_at,
                bucket=frame.bucket,
                s3_key=frame.s3_key,
                box=observation.box,
                score=observation.confidence,
            )

    def _stillness(self, track: Track, at: float) -> None:
        if iou(track.box, track.anchor) >= self.settings.stationary_iou:
            if at - track.anchor_since >= self.settings.stationary_seconds:
                track.stationary = True
        else:  # it moved: it stops being stationary, and may stop again here later
            track.anchor, track.anchor_since, track.stationary = track.box, at, False

    def _zones(self, track: Track, frame: FrameInfo) -> None:
        foot = track.box.bottom_centre
        inside = {name for name, zone in self.zones.items() if zone.contains(frame.camera_id, foot)}
        for name in inside:
            if name not in track.zones_inside:
                track.zones_inside[name] = frame.time
            if name not in track.zones_entered:
                track.zones_entered.append(name)
        for name in list(track.zones_inside):
            if name not in inside:
                del track.zones_inside[name]

    def _face_seen(self, track: Track, face: Observation) -> None:
        for rule in face.rules if track.kind == "object" else ():
            track.rules_met[rule] = track.rules_met.get(rule, 0) + 1
        if face.person_id is None:
            track.unknown_face_frames += 1
            return
        track.person_votes[face.person_id] = track.person_votes.get(face.person_id, 0) + 1
        if face.person_name:
            track.person_names[face.person_id] = face.person_name
        leader, votes = Counter(track.person_votes).most_common(1)[0]
        if votes >= self.settings.face_votes:
            track.person_id = leader

    def end_quiet(self, at: float) -> list[Track]:
        """The camera sent nothing until capture time ``at`` (offline, or its keepalive stopped):
        lose what the frames would have lost had they come, without a frame to match against."""
        return self._age(at)

    def _age(self, at: float) -> list[Track]:
        """Lose what was not seen for too long; a tentative track that never confirmed just goes."""
        lost: list[Track] = []
        kept: list[Track] = []
        for track in self.state.tracks:
            if track.stationary:
                # Gaps without frames (a motion-gated camera, a camera offline) are not evidence that it
                # left; frames that keep not seeing it for lost_after_seconds are.
                missing = (
                    track.missed_since is not None
                    and at - track.missed_since >= self.settings.lost_after_seconds
                )
                gone = missing or at - track.last_seen > self.settings.stationary_lost_after_seconds
            else:
                gone = at - track.last_seen > self.settings.lost_after_seconds
            if gone:
                if track.status == "confirmed":
                    track.status = "lost"
                    lost.append(track)
                continue
            kept.append(track)
        self.state.tracks = kept
        return lost


__all__ = ["FACE", "FrameInfo", "Track", "Tracker", "TrackerState", "iou", "predicted_box"]
