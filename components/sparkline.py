"""A tiny line of the last minutes (an SVG polyline): a tick changes one attribute, never a chart's options."""

from __future__ import annotations

from collections.abc import Sequence

from nicegui import ui

WIDTH = 60.0
HEIGHT = 16.0


class sparkline(ui.element):
    """The values of the last `window` seconds on a fixed time axis ending at the newest point; show() redraws."""

    def __init__(self, *, window: float, floor: float) -> None:
        super().__init__('svg')
        self.window = window
        self.floor = floor  # the top of the scale is at least this: an idle container's noise stays flat
        self.props(f'viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" preserveAspectRatio=none aria-hidden=true')
        self.classes('w-16 h-4 shrink-0 overflow-visible rounded-sm bg-gray-500/10')  # a box: reads as a chart
        with self:
            self.line = ui.element('polyline').props(
                'fill=none stroke=currentColor stroke-width=1.5 vector-effect=non-scaling-stroke '
                'stroke-linejoin=round points=""'
            )

    def show(self, points: Sequence[tuple[float, float]], top: float | None = None) -> None:
        """Draw (unix seconds, value) pairs, oldest first, up to `top` (a memory limit; default: the largest value
        with a quarter of headroom, at least the floor); sends the line's points only when they differ."""
        text = polyline(points, window=self.window, floor=self.floor, top=top)
        if self.line.props.get('points') != text:
            self.line.props['points'] = text
            self.line.update()
        self.visible = bool(text)  # no empty box before the first sample (sent only when it changes)


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
