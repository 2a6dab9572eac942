"""Trend charts of the host samples (ECharts): CPU and memory in percent, and the load averages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from nicegui import ui

from ops.clock import utc_now
from ops.host.samples import HostReading

# A day at 30 s is 2,880 samples; 5-minute averages (288 points) show the same trend at a tenth of the bytes.
BUCKET_SECONDS = 300
WINDOW = timedelta(hours=24)
FEW_POINTS = 24
# Neutral greys read on both the light and the dark background.
_TEXT = '#8a8f98'
_GRID_LINE = 'rgba(128, 128, 128, 0.2)'


class trend_chart(ui.echart):
    """A time-series chart of some fields of the host readings; show() redraws it with new readings."""

    def __init__(self, series: dict[str, str], *, unit: str = '', max_value: float | None = None) -> None:
        super().__init__(_options(series, unit, max_value))
        self.series = series
        self.classes('w-full h-64')

    def show(self, readings: Sequence[HostReading]) -> None:
        """Redraw with `readings` (oldest first), averaged into 5-minute points."""
        points = bucketed(readings)
        now = utc_now()
        # A fixed 24-hour axis ending now: a young install shows its few points at the right, not stretched.
        self.options['xAxis']['min'] = (now - WINDOW).isoformat()
        self.options['xAxis']['max'] = now.isoformat()
        self.options['title']['show'] = not points
        for index, field in enumerate(self.series):
            series = self.options['series'][index]
            series['data'] = [[at.isoformat(), round(values[field], 2)] for at, values in points]
            series['showSymbol'] = len(points) < FEW_POINTS  # a lone point has no line to show it
        self.update()


def bucketed(readings: Sequence[HostReading]) -> list[tuple[datetime, dict[str, float]]]:
    """Average the readings per 5-minute bucket: (bucket start, field -> mean)."""
    buckets: dict[int, list[HostReading]] = {}
    for reading in readings:
        buckets.setdefault(int(reading.at.timestamp()) // BUCKET_SECONDS, []).append(reading)
    points: list[tuple[datetime, dict[str, float]]] = []
    for key in sorted(buckets):
        group = buckets[key]
        fields = ('cpu_percent', 'memory_percent', 'load1', 'load5', 'load15')
        means = {name: sum(getattr(r, name) for r in group) / len(group) for name in fields}
        points.append((group[-1].at, means))
    return points


def _options(series: dict[str, str], unit: str, max_value: float | None) -> dict[str, Any]:
    axis_label = {'color': _TEXT}
    return {
        'backgroundColor': 'transparent',
        'animation': False,
        'grid': {'left': 44, 'right': 16, 'top': 36, 'bottom': 28},
        'legend': {'top': 0, 'textStyle': {'color': _TEXT}},
        'title': {
            'show': True,
            'text': 'Collecting samples: the first points appear within a minute',
            'left': 'center',
            'top': 'middle',
            'textStyle': {'color': _TEXT, 'fontSize': 13, 'fontWeight': 'normal'},
        },
        'tooltip': {'trigger': 'axis'},
        'xAxis': {'type': 'time', 'axisLabel': axis_label, 'splitLine': {'show': False}},
        'yAxis': {
            'type': 'value',
            'min': 0,
            **({'max': max_value} if max_value is not None else {}),
            'axisLabel': {**axis_label, 'formatter': '{value}' + unit},
            'splitLine': {'lineStyle': {'color': _GRID_LINE}},
        },
        'series': [
            {'name': label, 'type': 'line', 'showSymbol': False, 'smooth': True, 'data': []}
            for label in series.values()
        ],
    }
