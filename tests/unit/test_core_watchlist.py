"""The watch list: loading (errors name the field), each rule filter, and observe()'s invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from framewatch.core.detections import Detections, Face, Label, LabelInstance, labels_from_rekognition
from framewatch.core.geometry import Box
from framewatch.core.watchlist import (
    FULL_FRAME,
    Rule,
    Schedule,
    WatchList,
    WatchListError,
    dump_watchlist,
    load_watchlist,
    observe,
)


@dataclass(frozen=True)
class Hit:
    """One rule met by one subject in one frame: the strongest observation of it (the tracker's view
    of a single frame, which these tests pin down filter by filter)."""

    rule: str
    kind: str
    subject: str
    subject_name: str
    confidence: float
    box: Box | None


def evaluate(watchlist: WatchList, camera: str, when: datetime, found: Detections) -> list[Hit]:
    best: dict[tuple[str, str], Hit] = {}
    for seen in observe(watchlist, camera, when, found):
        for rule_name in seen.rules:
            if seen.kind == "object":
                kind, subject, name = "label", seen.label, seen.label
            elif seen.person_id:
                kind, subject, name = "person", seen.person_id, seen.person_name or seen.person_id
            else:
                kind, subject, name = "unknown_face", "unknown-face", "an unknown face"
            box = None if seen.box == FULL_FRAME and seen.kind == "object" else seen.box
            hit = Hit(rule_name, kind, subject, name, seen.confidence, box)
            key = (rule_name, subject)
            if key not in best or hit.confidence > best[key].confidence:
                best[key] = hit
    return sorted(best.values(), key=lambda h: (h.rule, -h.confidence, h.subject))


PROPERTY = settings(max_examples=75, deadline=None)
REPO = Path(__file__).resolve().parents[2]
NOON = datetime(2024, 1, 3, 12, 0)  # a Wednesday
LEFT_HALF = [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]


def box(left: float = 0.1, top: float = 0.1, width: float = 0.2, height: float = 0.2) -> Box:
    return Box(left=left, top=top, width=width, height=height)


def label(name: str, *instances: tuple[float, Box], confidence: float = 90.0, parents=()) -> Label:
    return Label(
        name=name,
        confidence=confidence,
        parents=list(parents),
        instances=[LabelInstance(box=b, confidence=c) for c, b in instances],
    )


def car(*instances: tuple[float, Box], confidence: float = 90.0) -> Label:
    return label("Car", *instances, confidence=confidence, parents=["Vehicle", "Transportation"])


def face(
    confidence: float = 99.0,
    person_id: str | None = None,
    person_name: str | None = None,
    similarity: float | None = None,
    at: Box | None = None,
) -> Face:
    return Face(
        box=at or box(),
        confidence=confidence,
        face_id="f" if person_id else None,
        person_id=person_id,
        person_name=person_name,
        similarity=similarity,
    )


def hits(
    rules: list[Rule],
    *,
    labels=(),
    faces=(),
    camera: str = "porch",
    when: datetime = NOON,
) -> list[Hit]:
    return evaluate(WatchList(rules=rules), camera, when, Detections(labels=list(labels), faces=list(faces)))


def rule(**fields) -> Rule:
    return Rule(**{"name": "r", **fields})


# --- loading -------------------------------------------------------------------------------------------

YAML_TEXT = """
rules:
  - name: night-vehicle
    labels: [Vehicle]
    min_confidence: 60
    min_box_area: 0.01
    cameras: [driveway]
    zones: [[[0, 0.5], [1, 0.5], [1, 1], [0, 1]]]
    schedule: {days: [fri, sat], start: "22:00", end: "06:30"}
  - name: family
    people: [Ada Lovelace, grace-hopper]
"""

JSON_TEXT = """{"rules": [
  {"name": "night-vehicle", "labels": ["Vehicle"], "min_confidence": 60, "min_box_area": 0.01,
   "cameras": ["driveway"], "zones": [[[0, 0.5], [1, 0.5], [1, 1], [0, 1]]],
   "schedule": {"days": ["fri", "sat"], "start": "22:00", "end": "06:30"}},
  {"name": "family", "people": ["Ada Lovelace", "grace-hopper"]}
]}"""


def test_yaml_and_json_load_the_same_watch_list():
    from_yaml, from_json = load_watchlist(YAML_TEXT), load_watchlist(JSON_TEXT)
    assert from_yaml == from_json
    night = from_yaml.rules[0]
    assert night.schedule == Schedule(days=["fri", "sat"], start=time(22, 0), end=time(6, 30))
    assert night.zones == [[(0, 0.5), (1, 0.5), (1, 1), (0, 1)]]
    assert from_yaml.rules[1].min_confidence == 70.0  # the default


def test_a_dumped_watch_list_loads_back_unchanged():
    watchlist = load_watchlist(YAML_TEXT)
    assert load_watchlist(dump_watchlist(watchlist)) == watchlist


@pytest.mark.parametrize("text", ["", "   \n", "~", "null", "# only a comment\n"])
def test_an_empty_file_is_an_empty_watch_list(text: str):
    assert load_watchlist(text).rules == []


def test_the_shipped_watch_list_loads_and_vehicle_matches_a_car():
    watchlist = load_watchlist((REPO / "config" / "watchlist.yaml").read_text(), "config/watchlist.yaml")
    found = Detections(labels=[car((95.0, box(width=0.3, height=0.3)))])
    assert [(h.rule, h.subject) for h in evaluate(watchlist, "porch", NOON, found)] == [("vehicle", "Car")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [unclosed", "s3://media/config/watchlist.yaml: not valid YAML/JSON"),
        ("- just a list", "top level: Input should be a valid dictionary"),
        ("rules: [{labels: [Car]}]", "rules.0.name: Field required"),
        ("rules: [{name: 'bad name', labels: [Car]}]", "rules.0.name: String should match pattern"),
        ("rules: [{name: r}]", "rules.0: Value error, a rule needs labels, people or unknown_faces: true"),
        ("rules: [{name: r, lables: [Car]}]", "rules.0.lables: Extra inputs are not permitted"),
        ("rules: [{name: r, labels: [Car], min_confidence: 101}]", "rules.0.min_confidence:"),
        ("rules: [{name: r, labels: [Car], min_box_area: 2}]", "rules.0.min_box_area:"),
        ("rules: [{name: r, labels: [Car], zones: [[[0, 0], [1, 1]]]}]", "a zone needs at least 3 points"),
        ("rules: [{name: r, labels: [Car], zones: [[[0, 0], [1.5, 0], [0, 1]]]}]", "between 0 and 1"),
        ("rules: [{name: r, labels: [Car], schedule: {days: [funday]}}]", "rules.0.schedule.days.0:"),
        ("rules: [{name: r, labels: [Car], schedule: {start: '25:00'}}]", "rules.0.schedule.start:"),
        ("rules: [{name: a, labels: [Car]}, {name: a, labels: [Dog]}]", "repeated: a"),
    ],
)
def test_invalid_watch_lists_name_the_field(text: str, expected: str):
    with pytest.raises(WatchListError) as caught:
        load_watchlist(text, "s3://media/config/watchlist.yaml")
    message = str(caught.value)
    assert message.startswith("s3://media/config/watchlist.yaml: ")
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("schedule", "field", "hint"),
    [
        # YAML 1.1 reads unquoted 22:00 as the base-60 number 1320 (which pydantic would take as 00:22 UTC).
        ("{start: 22:00, end: '06:30'}", "start", 'quoted "HH:MM"'),
        ("{start: '07:00', end: 9:15}", "end", 'quoted "HH:MM"'),
        # An offset makes the time impossible to compare with the local clock.
        ("{start: '22:00+01:00', end: '06:30'}", "start", "local to ALERT_TIMEZONE"),
    ],
)
def test_schedule_times_that_are_not_local_clock_times_are_refused_at_load(schedule, field, hint):
    with pytest.raises(WatchListError) as caught:
        load_watchlist(f"rules: [{{name: r, labels: [Car], schedule: {schedule}}}]")
    assert f"rules.0.schedule.{field}: " in str(caught.value)
    assert hint in str(caught.value)


# --- rule filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize("wanted", ["Vehicle", "vehicle", "CAR", "transportation"])
def test_labels_match_by_name_or_parent_ignoring_case(wanted: str):
    [hit] = hits([rule(labels=[wanted])], labels=[car((95.0, box()))])
    assert (hit.kind, hit.subject, hit.subject_name) == ("label", "Car", "Car")


def test_a_label_that_is_neither_named_nor_a_child_does_not_match():
    assert hits([rule(labels=["Animal"])], labels=[car((95.0, box()))]) == []


def test_the_strongest_instance_above_min_confidence_is_reported():
    weak, strong = box(left=0.0), box(left=0.5)
    found = car((71.0, weak), (93.5, strong), (69.9, box()))
    [hit] = hits([rule(labels=["Car"], min_confidence=70)], labels=[found])
    assert (hit.confidence, hit.box) == (93.5, strong)


def test_min_confidence_is_inclusive_and_instances_below_it_do_not_count():
    assert hits([rule(labels=["Car"], min_confidence=70)], labels=[car((69.99, box()), confidence=99)]) == []
    assert len(hits([rule(labels=["Car"], min_confidence=70)], labels=[car((70.0, box()))])) == 1


def test_min_box_area_drops_small_boxes():
    small, large = box(width=0.05, height=0.05), box(width=0.1, height=0.1)  # 0.0025 and 0.01
    only = rule(labels=["Car"], min_box_area=0.01)
    assert hits([only], labels=[car((95.0, small))]) == []
    assert [h.box for h in hits([only], labels=[car((80.0, large), (95.0, small))])] == [large]


def test_cameras_limit_where_a_rule_applies():
    only_driveway = rule(labels=["Car"], cameras=["driveway"])
    assert hits([only_driveway], labels=[car((95.0, box()))], camera="porch") == []
    assert len(hits([only_driveway], labels=[car((95.0, box()))], camera="driveway")) == 1


def test_zones_test_the_bottom_centre_of_the_box():
    in_zone = rule(labels=["Car"], zones=[LEFT_HALF])
    # Top-left corner inside the left half, but the wheels (bottom-centre x = 0.6) are outside.
    straddling = box(left=0.4, top=0.2, width=0.4, height=0.3)
    parked = box(left=0.1, top=0.2, width=0.3, height=0.3)  # bottom-centre x = 0.25
    assert hits([in_zone], labels=[car((95.0, straddling))]) == []
    assert [h.box for h in hits([in_zone], labels=[car((90.0, parked), (95.0, straddling))])] == [parked]


def test_a_scene_label_without_instances_matches_only_rules_without_zone_or_area():
    road = label("Road", confidence=88.0)
    [hit] = hits([rule(labels=["Road"])], labels=[road])
    assert (hit.subject, hit.confidence, hit.box) == ("Road", 88.0, None)
    assert hits([rule(labels=["Road"], zones=[LEFT_HALF])], labels=[road]) == []
    assert hits([rule(labels=["Road"], min_box_area=0.001)], labels=[road]) == []
    assert hits([rule(labels=["Road"], min_confidence=90)], labels=[road]) == []


def test_a_label_whose_instances_all_fail_does_not_fall_back_to_its_scene_confidence():
    assert hits([rule(labels=["Car"], min_confidence=80)], labels=[car((60.0, box()), confidence=99.0)]) == []


@pytest.mark.parametrize("wanted", ["Ada Lovelace", "ada lovelace", "ada", "ADA"])
def test_people_match_by_display_name_or_person_id(wanted: str):
    ada = face(confidence=99.0, person_id="ada", person_name="Ada Lovelace", similarity=97.25)
    [hit] = hits([rule(people=[wanted])], faces=[ada])
    assert (hit.kind, hit.subject, hit.subject_name) == ("person", "ada", "Ada Lovelace")
    assert hit.confidence == 99.0  # the face's own confidence: the tracker names people by a vote


def test_someone_else_enrolled_is_neither_a_listed_person_nor_an_unknown_face():
    grace = face(person_id="grace", person_name="Grace Hopper", similarity=95.0)
    assert hits([rule(people=["Ada Lovelace"], unknown_faces=True)], faces=[grace]) == []


def test_unknown_faces_raise_one_hit_with_the_clearest_face():
    blurry, clear = face(confidence=91.0, at=box(left=0.0)), face(confidence=99.5, at=box(left=0.6))
    [hit] = hits([rule(unknown_faces=True, min_confidence=90)], faces=[blurry, clear, face(confidence=80.0)])
    assert (hit.kind, hit.subject, hit.subject_name) == ("unknown_face", "unknown-face", "an unknown face")
    assert (hit.confidence, hit.box) == (99.5, clear.box)


def test_faces_obey_min_confidence_and_zones():
    left, right = box(left=0.1, width=0.2), box(left=0.7, width=0.2)
    zoned = rule(unknown_faces=True, zones=[LEFT_HALF])
    assert [h.box for h in hits([zoned], faces=[face(at=right), face(confidence=98.0, at=left)])] == [left]
    assert hits([rule(unknown_faces=True, min_confidence=95)], faces=[face(confidence=94.0)]) == []


def test_a_rule_outside_its_schedule_is_quiet():
    nights = rule(labels=["Car"], schedule=Schedule(start=time(22, 0), end=time(6, 0)))
    assert hits([nights], labels=[car((95.0, box()))], when=NOON) == []
    assert len(hits([nights], labels=[car((95.0, box()))], when=NOON.replace(hour=23))) == 1


def test_one_hit_per_rule_and_subject_sorted_by_rule_then_strength():
    found = labels_from_rekognition(
        [
            {
                "Name": "Car",
                "Confidence": 99,
                "Parents": [{"Name": "Vehicle"}],
                "Instances": [
                    {"BoundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.2, "Height": 0.2}, "Confidence": 80},
                    {"BoundingBox": {"Left": 0.5, "Top": 0.5, "Width": 0.2, "Height": 0.2}, "Confidence": 90},
                ],
            },
            {
                "Name": "Truck",
                "Confidence": 99,
                "Parents": [{"Name": "Vehicle"}],
                "Instances": [
                    {"BoundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.3, "Height": 0.3}, "Confidence": 95}
                ],
            },
        ]
    )
    rules = [rule(name="vehicles", labels=["Vehicle"]), rule(name="cars", labels=["Car", "Vehicle"])]
    assert [(h.rule, h.subject, h.confidence) for h in hits(rules, labels=found)] == [
        ("cars", "Truck", 95),
        ("cars", "Car", 90),
        ("vehicles", "Truck", 95),
        ("vehicles", "Car", 90),
    ]


# --- evaluate() properties -----------------------------------------------------------------------------

LABEL_PARENTS = {
    "Car": ["Vehicle", "Transportation"],
    "Truck": ["Vehicle"],
    "Person": [],
    "Dog": ["Animal"],
    "Road": [],
}
PEOPLE = {"ada": "Ada Lovelace", "grace": "Grace Hopper"}
# A few repeated values, so ties between instances and faces come up often.
confidences = st.sampled_from([40.0, 70.0, 85.0, 99.0]) | st.floats(0, 100)
boxes = st.builds(
    Box, left=st.floats(0, 0.8), top=st.floats(0, 0.8), width=st.floats(0, 0.2), height=st.floats(0, 0.2)
)


@st.composite
def any_label(draw: st.DrawFn) -> Label:
    name = draw(st.sampled_from(sorted(LABEL_PARENTS)))
    instances = draw(st.lists(st.builds(LabelInstance, box=boxes, confidence=confidences), max_size=3))
    return Label(name=name, confidence=draw(confidences), parents=LABEL_PARENTS[name], instances=instances)


@st.composite
def any_face(draw: st.DrawFn) -> Face:
    person = draw(st.sampled_from([None, *sorted(PEOPLE)]))
    return Face(
        box=draw(boxes),
        confidence=draw(confidences),
        person_id=person,
        person_name=PEOPLE.get(person) if person else None,
        similarity=draw(confidences) if person else None,
    )


@st.composite
def any_rule(draw: st.DrawFn, name: str) -> Rule:
    wanted_labels = draw(
        st.lists(st.sampled_from(["vehicle", "Car", "PERSON", "animal", "Road"]), max_size=2)
    )
    wanted_people = draw(st.lists(st.sampled_from(["Ada Lovelace", "grace"]), max_size=2))
    unknown_faces = draw(st.booleans())
    assume(wanted_labels or wanted_people or unknown_faces)
    return Rule(
        name=name,
        labels=wanted_labels,
        people=wanted_people,
        unknown_faces=unknown_faces,
        min_confidence=draw(st.sampled_from([0.0, 50.0, 70.0, 90.0])),
        min_box_area=draw(st.sampled_from([0.0, 0.0, 0.01])),
        cameras=draw(st.sampled_from([[], ["porch"], ["yard"]])),
        zones=draw(st.sampled_from([[], [LEFT_HALF]])),
        schedule=draw(st.sampled_from([None, Schedule(start=time(22, 0), end=time(6, 0))])),
    )


frames = st.tuples(
    st.lists(any_label(), max_size=5, unique_by=lambda lb: lb.name),
    st.lists(any_face(), max_size=4),
    st.sampled_from(["porch", "yard"]),
    st.sampled_from([NOON, NOON.replace(hour=23)]),
)


def visible(hit: Hit) -> tuple:
    """What leaves evaluate(): everything that reaches an alert (the box is for display only)."""
    return (hit.rule, hit.kind, hit.subject, hit.subject_name, hit.confidence)


@st.composite
def watchlists(draw: st.DrawFn) -> WatchList:
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True))
    return WatchList(rules=[draw(any_rule(name)) for name in names])


@PROPERTY
@given(watchlists(), frames, st.randoms(use_true_random=False))
def test_evaluate_ignores_the_order_of_rules_labels_and_faces(watchlist: WatchList, frame, rnd):
    found_labels, found_faces, camera, when = frame
    expected = [
        visible(h)
        for h in evaluate(watchlist, camera, when, Detections(labels=found_labels, faces=found_faces))
    ]
    shuffled = [list(found_labels), list(found_faces), list(watchlist.rules)]
    for items in shuffled:
        rnd.shuffle(items)
    for labels_, faces_, rules_ in [
        (found_labels[::-1], found_faces[::-1], watchlist.rules[::-1]),
        tuple(shuffled),
    ]:
        again = evaluate(WatchList(rules=rules_), camera, when, Detections(labels=labels_, faces=faces_))
        assert [visible(h) for h in again] == expected


@PROPERTY
@given(watchlists(), frames)
def test_evaluate_reports_each_rule_and_subject_once_and_only_what_passes_the_rule(watchlist, frame):
    found_labels, found_faces, camera, when = frame
    result = evaluate(watchlist, camera, when, Detections(labels=found_labels, faces=found_faces))
    keys = [(h.rule, h.subject) for h in result]
    assert len(keys) == len(set(keys))
    by_name = {r.name: r for r in watchlist.rules}
    for hit in result:
        rule_ = by_name[hit.rule]
        assert rule_.applies_to(camera, when)
        if hit.kind == "label":
            assert any(
                lb.name == hit.subject and lb.names() & {w.casefold() for w in rule_.labels}
                for lb in found_labels
            )
        if hit.kind != "person":  # a person's hit carries the match similarity, not the face confidence
            assert hit.confidence >= rule_.min_confidence
        if rule_.zones or rule_.min_box_area:
            assert hit.box is not None and rule_.box_counts(hit.box)


@PROPERTY
@given(watchlists(), frames)
def test_rules_are_independent_so_a_watch_list_is_the_union_of_its_rules(watchlist: WatchList, frame):
    found_labels, found_faces, camera, when = frame
    found = Detections(labels=found_labels, faces=found_faces)
    together = evaluate(watchlist, camera, when, found)
    one_by_one = [h for r in watchlist.rules for h in evaluate(WatchList(rules=[r]), camera, when, found)]

    def by_key(h: Hit) -> tuple[str, str]:
        return (h.rule, h.subject)

    assert sorted(together, key=by_key) == sorted(one_by_one, key=by_key)


@PROPERTY
@given(watchlists(), frames)
def test_a_hit_is_the_strongest_candidate_for_its_subject(watchlist: WatchList, frame):
    found_labels, found_faces, camera, when = frame
    weaker_copies = [
        Label(
            name=lb.name,
            confidence=lb.confidence / 2,
            parents=lb.parents,
            instances=[LabelInstance(box=i.box, confidence=i.confidence / 2) for i in lb.instances],
        )
        for lb in found_labels
    ]
    found = Detections(labels=found_labels, faces=found_faces)
    with_weaker = Detections(labels=[*found_labels, *weaker_copies], faces=found_faces)
    assert [visible(h) for h in evaluate(watchlist, camera, when, with_weaker)] == [
        visible(h) for h in evaluate(watchlist, camera, when, found)
    ]


def test_a_parent_label_reported_beside_its_child_is_not_a_second_subject() -> None:
    box = Box(left=0.1, top=0.1, width=0.3, height=0.3)
    found = Detections(
        labels=[
            Label(
                name="Car",
                confidence=90,
                parents=["Vehicle", "Transportation"],
                instances=[LabelInstance(box=box, confidence=90)],
            ),
            Label(name="Vehicle", confidence=90, parents=["Transportation"]),
            Label(name="Transportation", confidence=90),
        ]
    )
    rules = load_watchlist("rules:\n  - name: vehicle\n    labels: [Vehicle]\n")
    hits = evaluate(rules, "cam", datetime(2026, 1, 1, 12, 0), found)
    assert [(h.rule, h.subject) for h in hits] == [("vehicle", "Car")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [{name: r, labels: [Car], required_zones: [gate]}]", "required_zones names gate"),
        ("rules: [{name: r, labels: [Car], severity: loud}]", "rules.0.severity: Input should be 'alert' or"),
        (
            "rules: [{name: r, labels: [Car], remind_after: 1}]",
            "rules.0.remind_after: Input should be greater",
        ),
        ("rules: [{name: r, labels: [Car], loitering_seconds: -1}]", "rules.0.loitering_seconds"),
        ("zones: {'bad name': {points: [[0, 0], [1, 0], [1, 1]]}}", "zone name 'bad name'"),
        (
            "zones: {gate: {points: [[0, 0], [1, 0]]}}",
            "zones.gate.points: Value error, a zone needs at least 3",
        ),
        ("tracking: {min_hits: 0}", "tracking.min_hits: Input should be greater than or equal to 1"),
        (
            "tracking: {lost_after_seconds: 60, stationary_lost_after_seconds: 30}",
            "stationary_lost_after_seconds",
        ),
        ("tracking: {min_hit: 2}", "tracking.min_hit: Extra inputs are not permitted"),
    ],
)
def test_incident_settings_are_validated_with_one_line_naming_the_field(text: str, expected: str):
    with pytest.raises(WatchListError) as error:
        load_watchlist(text, "watchlist.yaml")
    message = str(error.value)
    assert expected in message and "\n" not in message, message


def test_named_zones_and_incident_settings_load():
    watchlist = load_watchlist(
        "zones: {gate: {cameras: [front], points: [[0, 0.5], [1, 0.5], [1, 1]]}}\n"
        "tracking: {min_hits: 3}\n"
        "rules: [{name: r, labels: [Person], required_zones: [gate], loitering_seconds: 20,"
        " severity: detection, remind_after: 600}]"
    )
    rule_ = watchlist.rules[0]
    assert (rule_.required_zones, rule_.loitering_seconds, rule_.severity, rule_.remind_after) == (
        ["gate"], 20.0, "detection", 600.0,
    )  # fmt: skip
    assert watchlist.tracking.min_hits == 3
    assert watchlist.zones["gate"].contains("front", (0.8, 0.6))
    assert not watchlist.zones["gate"].contains("back", (0.8, 0.6))
