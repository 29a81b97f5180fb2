"""Boxes and zones: area, the ground point, and point-in-polygon against independent oracles."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from framewatch.core.geometry import Box, Point, point_in_polygon

PROPERTY = settings(max_examples=120, deadline=None)
EDGE_MARGIN = 1e-6
SQUARE = [(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)]
# A "U" open at the top: the notch between the arms is outside.
U_SHAPE = [(0.1, 0.1), (0.3, 0.1), (0.3, 0.6), (0.7, 0.6), (0.7, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9)]


def test_box_area_and_bottom_centre():
    box = Box(left=0.1, top=0.2, width=0.4, height=0.5)
    assert box.area == pytest.approx(0.2)
    assert box.bottom_centre == pytest.approx((0.3, 0.7))


@pytest.mark.parametrize(
    "fields",
    [
        {"left": -0.6, "top": 0, "width": 0.1, "height": 0.1},
        {"left": 0, "top": 1.6, "width": 0.1, "height": 0.1},
        {"left": 0, "top": 0, "width": -0.1, "height": 0.1},
        {"left": 0, "top": 0, "width": 0.1, "height": 2.1},
    ],
)
def test_boxes_far_outside_the_frame_are_refused(fields: dict[str, float]):
    with pytest.raises(ValidationError):
        Box(**fields)


@pytest.mark.parametrize(
    ("point", "polygon", "inside"),
    [
        ((0.5, 0.5), SQUARE, True),
        ((0.1, 0.5), SQUARE, False),
        ((0.9, 0.5), SQUARE, False),
        ((0.5, 0.1), SQUARE, False),
        ((0.5, 0.95), SQUARE, False),
        ((0.5, 0.3), U_SHAPE, False),  # in the notch
        ((0.5, 0.75), U_SHAPE, True),  # in the base
        ((0.2, 0.3), U_SHAPE, True),  # in the left arm
        ((0.8, 0.3), U_SHAPE, True),  # in the right arm
        ((0.3, 0.3), [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)], True),
        ((0.6, 0.6), [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)], False),
    ],
)
def test_point_in_polygon_examples(point: Point, polygon: list[Point], inside: bool):
    assert point_in_polygon(point, polygon) is inside


# --- oracles -------------------------------------------------------------------------------------------


def cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: list[Point]) -> list[Point]:
    """Andrew's monotone chain, counter-clockwise, collinear points dropped."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts
    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def inside_convex(point: Point, ccw_hull: list[Point]) -> bool:
    return all(cross(a, b, point) > 0 for a, b in zip(ccw_hull, ccw_hull[1:] + ccw_hull[:1], strict=True))


def winding_number(point: Point, polygon: list[Point]) -> int:
    """Total angle swept around the point, in turns: 0 outside a simple polygon, +-1 inside."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        a1 = math.atan2(y1 - point[1], x1 - point[0])
        a2 = math.atan2(y2 - point[1], x2 - point[0])
        total += (a2 - a1 + math.pi) % (2 * math.pi) - math.pi
    return round(total / (2 * math.pi))


def distance_to_boundary(point: Point, polygon: list[Point]) -> float:
    best = math.inf
    px, py = point
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / length2))
        best = min(best, math.hypot(px - (x1 + t * dx), py - (y1 + t * dy)))
    return best


# --- strategies ----------------------------------------------------------------------------------------

coords = st.floats(min_value=0, max_value=1, allow_nan=False)
points = st.tuples(coords, coords)


@st.composite
def convex_polygons(draw: st.DrawFn) -> list[Point]:
    hull = convex_hull(draw(st.lists(points, min_size=3, max_size=12)))
    assume(len(hull) >= 3)
    area = sum(cross(hull[0], a, b) for a, b in itertools.pairwise(hull[1:])) / 2
    assume(area > 1e-4)
    return hull


@st.composite
def star_polygons(draw: st.DrawFn) -> list[Point]:
    """Vertices at increasing angles round a centre: always simple, often concave."""
    cx, cy = draw(st.floats(0.3, 0.7)), draw(st.floats(0.3, 0.7))
    count = draw(st.integers(min_value=3, max_value=10))
    # Gaps between successive angles from weights in [1, 1.9]: every gap under pi (the centre stays
    # inside) and well above zero, by construction rather than by filtering (Hypothesis' health check).
    weights = draw(st.lists(st.floats(1, 1.9), min_size=count, max_size=count))
    start = draw(st.floats(0, 2 * math.pi, exclude_max=True))
    angles = [start + 2 * math.pi * sum(weights[:i]) / sum(weights) for i in range(count)]
    radii = draw(st.lists(st.floats(0.05, 0.3), min_size=count, max_size=count))
    return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)]


# --- properties ----------------------------------------------------------------------------------------


@PROPERTY
@given(convex_polygons(), points)
def test_agrees_with_the_convex_polygon_oracle(hull: list[Point], point: Point):
    assume(distance_to_boundary(point, hull) > EDGE_MARGIN)
    assert point_in_polygon(point, hull) == inside_convex(point, hull)


@PROPERTY
@given(star_polygons(), points)
def test_agrees_with_the_winding_number_on_simple_concave_polygons(polygon: list[Point], point: Point):
    assume(distance_to_boundary(point, polygon) > EDGE_MARGIN)
    assert point_in_polygon(point, polygon) == (winding_number(point, polygon) != 0)


@PROPERTY
@given(star_polygons(), points, st.integers(min_value=0, max_value=9))
def test_vertex_order_orientation_and_mirroring_do_not_matter(polygon: list[Point], point: Point, shift: int):
    assume(distance_to_boundary(point, polygon) > EDGE_MARGIN)
    expected = point_in_polygon(point, polygon)
    k = shift % len(polygon)
    assert point_in_polygon(point, polygon[k:] + polygon[:k]) == expected
    assert point_in_polygon(point, polygon[::-1]) == expected
    mirrored = [(1 - x, y) for x, y in polygon]
    assert point_in_polygon((1 - point[0], point[1]), mirrored) == expected
    flipped = [(x, 1 - y) for x, y in polygon]
    assert point_in_polygon((point[0], 1 - point[1]), flipped) == expected


@PROPERTY
@given(convex_polygons())
def test_vertex_centroid_of_a_convex_zone_is_inside_it(hull: list[Point]):
    centroid = (sum(x for x, _ in hull) / len(hull), sum(y for _, y in hull) / len(hull))
    assume(distance_to_boundary(centroid, hull) > EDGE_MARGIN)
    assert point_in_polygon(centroid, hull)
