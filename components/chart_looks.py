"""How the stats charts look in light and dark mode alike: transparent background, neutral greys, a dark tooltip,
and the unit formatters (JavaScript run by ECharts in the browser, from this file only)."""

from __future__ import annotations

from typing import Any, Literal

TEXT = '#8a8f98'  # reads on the light and on the dark background
GRID_LINE = 'rgba(128, 128, 128, 0.2)'
Unit = Literal['percent', 'bytes', 'rate']
FORMATTERS: dict[Unit, str] = {
    'percent': "v => (v == null ? '—' : (Math.round(v * 10) / 10) + ' %')",
    'bytes': (
        "v => { if (v == null) return '—'; const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0;"
        ' while (Math.abs(v) >= 1000 && i < u.length - 1) { v /= 1024; i++; }'
        " return (i === 0 || Math.abs(v) >= 10 ? Math.round(v) : v.toFixed(1)) + ' ' + u[i]; }"
    ),
    'rate': (
        "v => { if (v == null) return '—'; const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0;"
        ' while (Math.abs(v) >= 1000 && i < u.length - 1) { v /= 1024; i++; }'
        " return (i === 0 || Math.abs(v) >= 10 ? Math.round(v) : v.toFixed(1)) + ' ' + u[i] + '/s'; }"
    ),
}


def base_options(empty_text: str) -> dict[str, Any]:
    """What every stats chart shares; `empty_text` shows in the middle while there are no points."""
    return {
        'backgroundColor': 'transparent',
        'animation': False,
        'textStyle': {'color': TEXT},
        'title': {
            'show': True,
            'text': empty_text,
            'left': 'center',
            'top': 'middle',
            'textStyle': {'color': TEXT, 'fontSize': 13, 'fontWeight': 'normal'},
        },
        'tooltip': {
            'trigger': 'axis',
            'confine': True,  # a phone's narrow chart keeps its tooltip on screen
            'backgroundColor': 'rgba(32, 33, 36, 0.92)',
            'borderWidth': 0,
            'textStyle': {'color': '#eeeeee', 'fontSize': 12},
        },
        'xAxis': {
            'type': 'time',
            'axisLabel': {'color': TEXT, 'hideOverlap': True},
            'axisLine': {'lineStyle': {'color': GRID_LINE}},
            'splitLine': {'show': False},
        },
    }


def value_axis(unit: Unit) -> dict[str, Any]:
    """The y axis from 0, labelled in `unit`."""
    return {
        'type': 'value',
        'min': 0,
        'axisLabel': {'color': TEXT, ':formatter': FORMATTERS[unit]},
        'splitLine': {'lineStyle': {'color': GRID_LINE}},
    }
