"""A container's CPU and memory in its Overview row: the newest numbers and a sparkline of the last 15 minutes."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from nicegui import ui

from components.sparkline import sparkline
from components.usage_text import cpu_text, memory_text
from ops.stats.samples import ContainerSample

WINDOW = 900.0  # seconds of history in the sparklines
CPU_FLOOR = 5.0  # percent of a core: below it a line stays near the bottom (idle noise is no trend)


class usage_cell(ui.element):
    """CPU and memory, number and sparkline each; show() takes a tick's sample (None: not running now)."""

    def __init__(self, name: str, samples: Iterable[ContainerSample] = ()) -> None:
        super().__init__('div')
        self.name = name
        self.samples: deque[ContainerSample] = deque()
        self.latest: ContainerSample | None = None
        self.classes('flex flex-wrap @4xl:flex-col gap-x-5 gap-y-0.5 text-xs tabular-nums min-w-0')
        with self:
            # Label, line, number: the lines of both rows line up whatever the numbers' widths.
            with ui.row().classes('items-center gap-1.5 no-wrap'):
                ui.label('CPU').classes('opacity-60 w-7')
                self.cpu_line = sparkline(window=WINDOW, floor=CPU_FLOOR).classes('text-blue-600 dark:text-blue-300')
                self.cpu = ui.label('—').classes('whitespace-nowrap')
            with ui.row().classes('items-center gap-1.5 no-wrap'):
                ui.label('Mem').classes('opacity-60 w-7')
                self.memory_line = sparkline(window=WINDOW, floor=0.0).classes('text-purple-600 dark:text-purple-300')
                self.memory = ui.label('—').classes('whitespace-nowrap')
        self.cpu.props['data-cpu'] = name
        self.memory.props['data-memory'] = name
        for sample in samples:
            self.samples.append(sample)
        self.show(self.samples[-1] if self.samples else None)

    def show(self, sample: ContainerSample | None) -> None:
        """A tick: numbers of `sample` (a dash when not running) and the lines (only what differs is sent)."""
        if sample is not None and (not self.samples or self.samples[-1].at < sample.at):
            self.samples.append(sample)
        while self.samples and self.samples[0].at < self.samples[-1].at - WINDOW:
            self.samples.popleft()
        self.latest = sample
        self.cpu.set_text(cpu_text(sample.cpu_percent if sample else None))
        at = f'{sample.at:.3f}' if sample else ''
        if self.cpu.props.get('data-at') != at:  # setting a prop sends the label, even to the same value
            self.cpu.props['data-at'] = at
        self.memory.set_text(memory_text(sample.memory_bytes, sample.memory_limit_bytes) if sample else '—')
        self.cpu_line.show([(s.at, s.cpu_percent) for s in self.samples])
        limit = self.samples[-1].memory_limit_bytes if self.samples else None  # the line shows how full it is
        self.memory_line.show([(s.at, float(s.memory_bytes)) for s in self.samples], limit)

    @property
    def cpu_percent(self) -> float:
        """For sorting: the newest CPU, -1 when not running."""
        return self.latest.cpu_percent if self.latest else -1.0

    @property
    def memory_bytes(self) -> float:
        """For sorting: the newest memory, -1 when not running."""
        return float(self.latest.memory_bytes) if self.latest else -1.0
