"""Boxes and zones in normalised image coordinates (0..1, origin top-left), as Rekognition uses."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

Point = tuple[float, float]
Polygon = Sequence[Point]


class Box(BaseModel):
    model_config = ConfigDict(frozen=True)

    left: float = Field(ge=-0.5, le=1.5)
    top: float = Field(ge=-0.5, le=1.5)
    width: float = Field(ge=0, le=2)
    height: float = Field(ge=0, le=2)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def bottom_centre(self) -> Point:
        """Where an object touches the ground: the point a zone test uses (as Frigate does)."""
        return (self.left + self.width / 2, self.top + self.height)


def point_in_polygon(point: Point, polygon: Polygon) -> bool:
    """Even-odd ray casting; points exactly on an edge may fall either way."""
    x, y = point
    inside = False
    count = len(polygon)
    for i in range(count):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % count]
        if (y1 > y) != (y2 > y):
            crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < crossing:
                inside = not inside
    return inside
