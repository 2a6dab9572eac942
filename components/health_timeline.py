"""A container's health over a span: coloured stretches per state, its exits marked with their codes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from nicegui import ui

from components.chart_looks import TEXT, base_options
from components.stat_charts import SPAN_SECONDS
from components.stat_shapes import Interval, Span, seconds

BUCKETS = 300  # more stretches than this (a crash loop over a month) are drawn per slice, the worst state winning
MARKS_LABELLED = 30  # up to this many exits carry their code as a label; more only in the tooltip


@dataclass(frozen=True, slots=True)
class StateLook:
    label: str
    color: str
    badness: int  # which state a slice of several shows


LOOKS: dict[str, StateLook] = {
    'healthy': StateLook('healthy', '#16a34a', 0),
    'running': StateLook('running', '#4ade80', 0),
    'starting': StateLook('starting', '#38bdf8', 1),
    'paused': StateLook('paused', '#9ca3af', 1),
    'restarting': StateLook('restarting', '#f59e0b', 2),
    'unhealthy': StateLook('unhealthy', '#f97316', 3),
    'exited': StateLook('exited', '#ef4444', 4),
    'dead': StateLook('dead', '#ef4444', 4),
}
STOPPED = StateLook('stopped', '#9ca3af', 1)  # exited with code 0: someone stopped it
OTHER = StateLook('other', '#9ca3af', 1)
RENDER = """(params, api) => {
  const from = api.coord([api.value(0), 0]);
  const to = api.coord([api.value(1), 0]);
  const height = api.size([0, 1])[1] * 0.6;
  return {type: 'rect', shape: {x: from[0], y: from[1] - height / 2, width: Math.max(to[0] - from[0], 1), height},
          style: {fill: api.visual('color')}};
}"""
TOOLTIP = """p => {
  const at = ms => new Date(ms).toLocaleString();
  if (p.seriesType === 'custom') return p.name + '<br>' + at(p.value[0]) + ' → ' + at(p.value[1]);
  return p.name + '<br>' + at(p.value[0]);
}"""


@dataclass(frozen=True, slots=True)
class Stretch:
    look: StateLook
    start: float
    end: float


def look_of(interval: Interval) -> StateLook:
    if interval.state == 'exited' and interval.exit_code == 0:
        return STOPPED
    return LOOKS.get(interval.state, OTHER)


class health_timeline(ui.echart):
    """The stretches of a span on one bar, exits as pins above it (with their codes); show() redraws."""

    def __init__(self) -> None:
        options = base_options('No health history in this span yet')
        options['grid'] = {'left': 8, 'right': 12, 'top': 28, 'bottom': 4, 'containLabel': True}
        options['legend'] = {
            'top': 0,
            'left': 0,
            'selectedMode': False,
            'itemWidth': 12,
            'itemHeight': 10,
            'textStyle': {'color': TEXT},
        }
        options['tooltip'] = {**options['tooltip'], 'trigger': 'item', ':formatter': TOOLTIP}
        options['yAxis'] = {
            'type': 'category',
            'data': ['', ''],
            'axisLine': {'show': False},
            'axisTick': {'show': False},
        }
        options['series'] = []
        super().__init__(options)
        self.classes('w-full h-32').props('data-testid=health-timeline')

    def show(
        self, intervals: Sequence[Interval], span: Span, now: float | None = None, ooms: Sequence[float] = ()
    ) -> None:
        """Draw the intervals and their exits over the span ending now, and the OOM kills (unix seconds)."""
        end = time.time() if now is None else now
        start = end - SPAN_SECONDS[span]
        stretches = stretches_of(intervals, start, end)
        exits = marks_of(exits_of(intervals, start, end), start, end)
        self.options['xAxis']['min'] = int(start * 1000)
        self.options['xAxis']['max'] = int(end * 1000)
        self.options['title']['show'] = not stretches
        self.options['series'] = [
            {
                'type': 'custom',
                ':renderItem': RENDER,
                'encode': {'x': [0, 1], 'y': 2},
                'data': [
                    {
                        'name': stretch.look.label,
                        'value': [int(stretch.start * 1000), int(stretch.end * 1000), 0],
                        'itemStyle': {'color': stretch.look.color},
                    }
                    for stretch in stretches
                ],
            },
            *(
                # Empty lines that only name the colours in the legend.
                {'type': 'line', 'name': look.label, 'color': look.color, 'data': [], 'legendIcon': 'roundRect'}
                for look in dict.fromkeys(stretch.look for stretch in stretches)
            ),
            {
                'type': 'scatter',
                'name': 'exit (code)',
                'symbol': 'pin',
                'symbolSize': 18,
                'symbolOffset': [0, 6],
                'color': '#ef4444',
                'label': {'show': len(exits) <= MARKS_LABELLED, 'color': '#ffffff', 'fontSize': 9, 'offset': [0, 4]},
                'data': [
                    {'name': words, 'value': [int(at * 1000), 1], 'label': {'formatter': code}}
                    for at, code, words in exits
                ],
            },
            {
                'type': 'scatter',
                'name': 'OOM kill',
                'symbol': 'pin',
                'symbolSize': 18,
                'symbolOffset': [0, -12],  # above an exit pin at the same moment
                'color': '#a855f7',
                'label': {'show': len(ooms) <= MARKS_LABELLED, 'color': '#ffffff', 'fontSize': 7, 'offset': [0, -14]},
                'data': [
                    {
                        'name': 'killed by the kernel: out of memory',
                        'value': [int(at * 1000), 1],
                        'label': {'formatter': 'OOM'},
                    }
                    for at in ooms[-BUCKETS:]
                    if start <= at <= end
                ],
            },
        ]
        self.update()


def stretches_of(intervals: Sequence[Interval], start: float, end: float) -> list[Stretch]:
    """The intervals cut to [start, end]; past BUCKETS of them, one stretch per slice in its worst state; next
    stretches of the same look joined."""
    cut = []
    for interval in intervals:
        begin = max(seconds(interval.start), start)
        finish = min(seconds(interval.end) if interval.end is not None else end, end)
        if finish > begin:
            cut.append(Stretch(look_of(interval), begin, finish))
    if len(cut) > BUCKETS:
        cut = _sliced(cut, start, end)
    joined: list[Stretch] = []
    for stretch in cut:
        last = joined[-1] if joined else None
        if last is not None and last.look == stretch.look and stretch.start - last.end < 1:
            joined[-1] = Stretch(last.look, last.start, stretch.end)
        else:
            joined.append(stretch)
    return joined


def _sliced(cut: list[Stretch], start: float, end: float) -> list[Stretch]:
    width = (end - start) / BUCKETS
    worst: dict[int, StateLook] = {}
    for stretch in cut:
        first = int((stretch.start - start) // width)
        last = min(BUCKETS - 1, int((stretch.end - start - 1e-9) // width))
        for index in range(first, last + 1):
            if index not in worst or stretch.look.badness > worst[index].badness:
                worst[index] = stretch.look
    return [Stretch(look, start + index * width, start + (index + 1) * width) for index, look in sorted(worst.items())]


def exits_of(intervals: Sequence[Interval], start: float, end: float) -> list[tuple[float, str, str]]:
    """(when, code, words) of each exit in the span: the start of an exited stretch, with whether it came back."""
    exits = []
    for index, interval in enumerate(intervals):
        at = seconds(interval.start)
        if interval.state not in ('exited', 'dead') or not start <= at <= end:
            continue
        code = '?' if interval.exit_code is None else str(interval.exit_code)
        after = intervals[index + 1] if index + 1 < len(intervals) else None
        back = after is not None and after.state not in ('exited', 'dead')
        words = f'exited with code {code}' + (' · restarted' if back else '')
        exits.append((at, code, words))
    return exits


def marks_of(exits: list[tuple[float, str, str]], start: float, end: float) -> list[tuple[float, str, str]]:
    """The exits as pins: each its own up to BUCKETS of them, else one per slice that had any ('40 exits, the last
    with code 3')."""
    if len(exits) <= BUCKETS:
        return exits
    width = (end - start) / BUCKETS
    slices: dict[int, list[tuple[float, str, str]]] = {}
    for mark in exits:
        slices.setdefault(min(BUCKETS - 1, int((mark[0] - start) // width)), []).append(mark)
    return [
        (group[0][0], group[-1][1], f'{len(group)} exits, the last with code {group[-1][1]}')
        for _, group in sorted(slices.items())
    ]


class health_shares(ui.element):
    """'% healthy' and '% up' over 24 h, 7 d and 30 d, and the restarts and OOM kills of the last 7 days, as a small
    table."""

    def __init__(self) -> None:
        super().__init__('div')
        self.classes('grid grid-cols-[auto_repeat(3,minmax(3.5rem,auto))] gap-x-4 gap-y-0.5 text-sm tabular-nums')
        self.props('data-testid=health-shares')

    def show(self, shares: dict[str, dict[Span, float | None]], restarts: int, oom_kills: int) -> None:
        self.clear()
        with self:
            ui.label('')
            for span in ('24h', '7d', '30d'):
                ui.label(span.replace('h', ' h').replace('d', ' d')).classes('text-xs opacity-60 text-right')
            for measure, by_span in shares.items():
                ui.label(measure).classes('opacity-80')
                for span, share in by_span.items():
                    text = '—' if share is None else f'{share * 100:.1f} %'
                    ui.label(text).classes('text-right').props(f'data-share={measure.split()[0].lower()}:{span}')
            ui.label('Restarts, last 7 days').classes('opacity-80 col-span-3')
            ui.label(str(restarts)).classes('text-right font-semibold').props('data-restarts-week')
            ui.label('OOM kills, last 7 days').classes('opacity-80 col-span-3')
            ui.label(str(oom_kills)).classes('text-right font-semibold').props('data-oom-kills-week')
