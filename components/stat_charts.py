"""A container's CPU, memory (with its limit), network and block I/O over a span, as four ECharts line charts."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nicegui import ui

from components.chart_looks import FORMATTERS, Unit, base_options, value_axis
from components.stat_shapes import Span, StatPoint, seconds

SPAN_SECONDS: dict[Span, float] = {'1h': 3600, '24h': 86_400, '7d': 7 * 86_400, '30d': 30 * 86_400}
EMPTY = 'No samples in this span yet'


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    field: str
    color: str
    area: bool = False
    dashed: bool = False


CPU = (Line('average', 'cpu_avg', '#3b82f6', area=True), Line('peak', 'cpu_max', '#93c5fd'))
MEMORY = (
    Line('average', 'memory_avg', '#a855f7', area=True),
    Line('peak', 'memory_max', '#d8b4fe'),
    Line('limit', 'memory_limit', '#ef4444', dashed=True),
)
NETWORK = (Line('received', 'net_rx_rate', '#22c55e'), Line('sent', 'net_tx_rate', '#f97316'))
BLOCK = (Line('read', 'block_read_rate', '#14b8a6'), Line('written', 'block_write_rate', '#ec4899'))


class stat_chart(ui.echart):
    """One chart of some fields of the points; show() replaces its data."""

    def __init__(self, key: str, lines: Sequence[Line], unit: Unit) -> None:
        options = base_options(EMPTY)
        options['legend'] = {'top': 0, 'right': 0, 'textStyle': {'color': options['textStyle']['color']}}
        options['grid'] = {'left': 8, 'right': 12, 'top': 30, 'bottom': 4, 'containLabel': True}
        options['yAxis'] = value_axis(unit)
        options['tooltip'][':valueFormatter'] = FORMATTERS[unit]
        options['series'] = []
        super().__init__(options)
        self.lines = lines
        self.unit = unit
        self.classes('w-full h-56')
        self.props(f'data-chart={key}')

    def show(self, points: Sequence[StatPoint], span: Span, now: float | None = None) -> None:
        """Draw `points` (oldest first) on an axis of the whole span ending now."""
        end = time.time() if now is None else now
        self.options['xAxis']['min'] = int((end - SPAN_SECONDS[span]) * 1000)
        self.options['xAxis']['max'] = int(end * 1000)
        self.options['title']['show'] = not points
        self.options['series'] = [_series(line, points) for line in self.lines if _has(line, points)]
        if self.unit != 'percent':  # bytes: steps of a power of two, so the labels read 256 MiB, 512 MiB, ...
            largest = max(
                (value for series in self.options['series'] for _, value in series['data'] if value), default=0
            )
            axis = self.options['yAxis']
            if largest:
                axis['interval'] = binary_step(largest)
                axis['max'] = math.ceil(largest / axis['interval']) * axis['interval']  # the top line is a step too
            else:
                axis.pop('interval', None)
                axis.pop('max', None)
        self.update()


def binary_step(largest: float, lines: int = 5) -> int:
    """The smallest power of two that splits 0..largest into at most `lines` steps."""
    step = 1
    while step * lines < largest:
        step *= 2
    return step


def _has(line: Line, points: Sequence[StatPoint]) -> bool:
    """A line with at least one value (a container without a memory limit has no limit line)."""
    return any(getattr(point, line.field) is not None for point in points)


def _series(line: Line, points: Sequence[StatPoint]) -> dict[str, Any]:
    series: dict[str, Any] = {
        'name': line.label,
        'type': 'line',
        'showSymbol': len(points) < 3,
        'symbolSize': 4,
        'sampling': 'lttb',
        'color': line.color,
        'lineStyle': {'width': 1.5, 'type': 'dashed' if line.dashed else 'solid'},
        'data': [[int(seconds(point.at) * 1000), _value(getattr(point, line.field))] for point in points],
    }
    if line.area:
        series['areaStyle'] = {'opacity': 0.15}
    if line.dashed:
        series['step'] = 'end'
    return series


def _value(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


class stat_charts(ui.element):
    """CPU, memory, network and block I/O side by side (one column on a phone)."""

    def __init__(self) -> None:
        super().__init__('div')
        self.classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-x-4 gap-y-2').props('data-testid=stat-charts')
        with self:
            self.cpu = _titled('CPU (% of one core)', 'cpu', CPU, 'percent')
            self.memory = _titled('Memory', 'memory', MEMORY, 'bytes')
            self.network = _titled('Network', 'network', NETWORK, 'rate')
            self.block = _titled('Block I/O', 'block', BLOCK, 'rate')

    def show(self, points: Sequence[StatPoint], span: Span) -> None:
        now = time.time()
        for chart in (self.cpu, self.memory, self.network, self.block):
            chart.show(points, span, now)


def _titled(title: str, key: str, lines: Sequence[Line], unit: Unit) -> stat_chart:
    with ui.column().classes('w-full gap-0 min-w-0'):
        ui.label(title).classes('text-sm font-semibold opacity-80')
        return stat_chart(key, lines, unit)
