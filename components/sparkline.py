"""A tiny line of the last minutes: the points of an SVG polyline (usage_cell.js draws it in a 60 x 16 box)."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH = 60.0
HEIGHT = 16.0


def polyline(points: Sequence[tuple[float, float]], *, window: float, floor: float, top: float | None = None) -> str:
    """The points attribute: x by time within the window ending at the newest point, y from 0 (bottom) to `top`
    or else the largest value with a quarter of headroom, at least `floor`."""
    if not points:
        return ''
    end = points[-1][0]
    largest = max(value for _, value in points)
    top = max(top, largest) if top else max(floor, largest * 1.25)
    coordinates = []
    for at, value in points:
        x = WIDTH * (1 - (end - at) / window)
        if x < 0:
            continue
        y = HEIGHT * (1 - max(0.0, value) / top) if top > 0 else HEIGHT
        coordinates.append(f'{x:.1f},{y:.1f}')
    if len(coordinates) == 1:  # a lone point: a short flat stroke, so the row shows something
        x_text, y_text = coordinates[0].split(',')
        coordinates.insert(0, f'{max(0.0, float(x_text) - 2):.1f},{y_text}')
    return ' '.join(coordinates)
