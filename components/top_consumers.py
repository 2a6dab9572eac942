"""The Host page's containers: who uses the most CPU or memory now and over 24 h, and each stack's totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from nicegui import ui

from components.coalesced import Coalesced
from components.listen import listen
from components.stat_shapes import Measure, StackTotal, StatHistorySource, StatsFeed
from components.ticker import every
from components.usage_text import cpu_text, memory_text
from ops.stats.samples import ContainerSample

SHOWN = 8
OUTSIDE = 'outside any stack'


@dataclass(frozen=True, slots=True)
class Usage:
    """One line of a list: a container's or a stack's CPU (% of a core) and memory (bytes)."""

    name: str
    detail: str | None  # a container's stack; a stack's 24 h averages
    cpu: float
    memory: float


class top_consumers(ui.card):
    """Top lists (now: the collector's newest samples, live; 24 h: the stored averages) and per-stack totals."""

    def __init__(self, stats: StatsFeed | None, history: StatHistorySource | None) -> None:
        super().__init__()
        self._stats = stats
        self._history = history
        self.by: Measure = 'cpu'
        self._day: dict[Measure, Sequence[Usage]] = {'cpu': [], 'memory': []}
        self._day_stacks: Mapping[str, StackTotal] = {}
        self.classes('w-full gap-2').props('flat bordered data-testid=top-consumers')
        with self:
            with ui.row().classes('w-full items-center gap-2'):
                ui.icon('memory').classes('opacity-70')
                ui.label('Containers').classes('text-base font-semibold')
                ui.space()
                ui.toggle({'cpu': 'By CPU', 'memory': 'By memory'}, value='cpu').props(
                    'dense no-caps size=sm data-testid=consumers-by'
                ).on_value_change(lambda event: self.choose(event.value))
            with ui.element('div').classes('w-full grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-4'):
                self.now = usage_list('Top now', 'now')
                self.day = usage_list('Top over 24 h (average)', '24h')
                self.stacks = usage_list('Stacks now · 24 h average', 'stacks')
        self._loader = Coalesced(self.load, name='top consumers')
        if stats is not None:
            listen(stats.sampled, lambda _: self.show_now(), owner=self)
        self.show_now()
        self._loader.request()
        every(300, self._loader.request)

    def choose(self, by: Measure) -> None:
        self.by = by
        self.show_now()
        self._loader.request()

    def show_now(self) -> None:
        """Redraw the live list and the stacks from the collector's newest samples."""
        latest = list(self._stats.current().values()) if self._stats is not None else []  # running now only
        self.now.show(_ranked([_usage(sample) for sample in latest], self.by), self.by, empty=_empty(self._stats))
        self.stacks.show(_stacks(latest, self._day_stacks, self.by), self.by, empty='No stack is running.')

    async def load(self) -> None:
        """Ask the history for the 24 h lists and stack totals."""
        if self._history is None:
            self.day.show([], self.by, empty='No stored history.')
            return
        by = self.by
        consumers = await self._history.top_consumers('24h', by=by, limit=SHOWN)
        self._day_stacks = await self._history.stack_totals('24h')
        self.day.show(
            [Usage(c.name, c.stack, c.cpu_avg, c.memory_avg) for c in consumers], by, empty='Nothing stored yet.'
        )
        self.show_now()


class usage_list(ui.column):
    """A titled list of lines: name (with its stack), CPU and memory; show() redraws it."""

    def __init__(self, title: str, key: str) -> None:
        super().__init__()
        self.key = key
        self.classes('w-full gap-1 min-w-0').props(f'data-usage-list={key}')
        with self:
            ui.label(title).classes('text-sm font-semibold opacity-80')
            self.lines = ui.column().classes('w-full gap-0')

    def show(self, lines: Sequence[Usage], by: Measure, *, empty: str) -> None:
        self.lines.clear()
        with self.lines:
            if not lines:
                ui.label(empty).classes('text-sm opacity-70')
            for line in lines[:SHOWN]:
                with ui.row().classes('w-full items-baseline no-wrap gap-2 py-0.5 border-t border-gray-500/20') as row:
                    row.props['data-usage'] = f'{self.key}:{line.name}'
                    with ui.column().classes('gap-0 grow min-w-0'):
                        if self.key == 'stacks':
                            ui.label(line.name or OUTSIDE).classes('text-sm font-medium break-all')
                        else:
                            ui.link(line.name, f'/containers/{quote(line.name, safe="")}').classes(
                                'text-sm font-medium break-all text-blue-700 dark:text-blue-300 no-underline'
                            )
                        detail = line.detail if self.key == 'stacks' else line.detail or OUTSIDE
                        if detail:
                            ui.label(detail).classes('text-xs opacity-60 break-all')
                    cpu = ui.label(cpu_text(line.cpu)).classes('text-sm tabular-nums text-right w-16 shrink-0')
                    memory = ui.label(memory_text(line.memory, None)).classes(
                        'text-sm tabular-nums text-right w-16 shrink-0'
                    )
                    (cpu if by == 'cpu' else memory).classes('font-semibold')


def _usage(sample: ContainerSample) -> Usage:
    return Usage(sample.name, sample.stack, sample.cpu_percent, float(sample.memory_bytes))


def _ranked(lines: Sequence[Usage], by: Measure) -> list[Usage]:
    return sorted(lines, key=lambda line: (-(line.cpu if by == 'cpu' else line.memory), line.name))


def _stacks(latest: Sequence[ContainerSample], day: Mapping[str, StackTotal], by: Measure) -> list[Usage]:
    """Per stack: the sums now, with the 24 h averages as the stack's second line."""
    now: dict[str, Usage] = {}
    for sample in latest:
        key = sample.stack or ''
        seen = now.get(key, Usage(key, None, 0.0, 0.0))
        now[key] = Usage(key, None, seen.cpu + sample.cpu_percent, seen.memory + sample.memory_bytes)
    lines = []
    for key, usage in now.items():
        total = day.get(key)
        average = f'24 h: {cpu_text(total.cpu_avg)} · {memory_text(total.memory_avg, None)}' if total else None
        lines.append(Usage(usage.name, average, usage.cpu, usage.memory))
    return _ranked(lines, by)


def _empty(stats: StatsFeed | None) -> str:
    return 'No samples yet: the first come within a tick.' if stats is not None else 'No stats collector.'
