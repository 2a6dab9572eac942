"""A container's CPU and memory in its Overview row: the newest numbers and a sparkline of the last 15 minutes."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from nicegui import ui

from components.sparkline import polyline
from components.usage_text import cpu_text, memory_text
from ops.stats.samples import ContainerSample

WINDOW = 900.0  # seconds of history in the sparklines
CPU_FLOOR = 5.0  # percent of a core: below it a line stays near the bottom (idle noise is no trend)


class usage_cell(ui.element, component='usage_cell.js'):
    """CPU and memory, number and sparkline each, as one element; show() takes a tick's sample (None: not running
    now) and sends the cell only when what it shows differs."""

    def __init__(self, name: str, samples: Iterable[ContainerSample] = ()) -> None:
        super().__init__()
        self.name = name
        self.samples: deque[ContainerSample] = deque(samples)
        self.latest: ContainerSample | None = None
        self._props['name'] = name
        self.show(self.samples[-1] if self.samples else None)

    def show(self, sample: ContainerSample | None) -> None:
        """A tick: numbers of `sample` (a dash when not running) and the lines (only what differs is sent)."""
        if sample is not None and (not self.samples or self.samples[-1].at < sample.at):
            self.samples.append(sample)
        while self.samples and self.samples[0].at < self.samples[-1].at - WINDOW:
            self.samples.popleft()
        self.latest = sample
        limit = self.samples[-1].memory_limit_bytes if self.samples else None  # the line shows how full it is
        shown = {
            'cpu': cpu_text(sample.cpu_percent if sample else None),
            'at': f'{sample.at:.3f}' if sample else '',
            'memory': memory_text(sample.memory_bytes, sample.memory_limit_bytes) if sample else '—',
            'cpu-points': polyline([(s.at, s.cpu_percent) for s in self.samples], window=WINDOW, floor=CPU_FLOOR),
            'memory-points': polyline(
                [(s.at, float(s.memory_bytes)) for s in self.samples], window=WINDOW, floor=0.0, top=limit
            ),
        }
        if any(self._props.get(key) != value for key, value in shown.items()):
            self._props.update(shown)  # one update of this cell

    @property
    def cpu_percent(self) -> float:
        """For sorting: the newest CPU, -1 when not running."""
        return self.latest.cpu_percent if self.latest else -1.0

    @property
    def memory_bytes(self) -> float:
        """For sorting: the newest memory, -1 when not running."""
        return float(self.latest.memory_bytes) if self.latest else -1.0
