"""What a running operation gets: output lines, progress, cancellation and the adapters it may use."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ops.adapters import Adapters

MAX_LINE = 4096


@dataclass(frozen=True, kw_only=True, slots=True)
class Progress:
    """One progress item of a run: an image layer of a pull, a service of a compose up..."""

    key: str
    label: str
    current: float
    total: float | None
    status: str = ''

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.current / self.total))


class RunContext:
    """Handed to every handler. Output is capped: the last `max_lines` lines plus a count of the dropped."""

    def __init__(
        self,
        *,
        run_id: int,
        adapters: Adapters,
        actor: str = '',
        max_lines: int = 2000,
        on_line: Callable[[int, str], object] | None = None,
        on_progress: Callable[[int, Progress], object] | None = None,
    ) -> None:
        self.run_id = run_id
        self.actor = actor
        self.adapters = adapters
        self.lines: deque[str] = deque(maxlen=max_lines)
        self.dropped = 0
        self.progress_items: dict[str, Progress] = {}
        self.cancelled = asyncio.Event()
        self._on_line = on_line
        self._on_progress = on_progress

    def log(self, line: str) -> None:
        """Record one output line (cut at MAX_LINE characters)."""
        line = line.rstrip('\r\n')
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE] + f' … [{len(line) - MAX_LINE} more characters]'
        if len(self.lines) == self.lines.maxlen:
            self.dropped += 1
        self.lines.append(line)
        if self._on_line is not None:
            self._on_line(self.run_id, line)

    def progress(self, key: str, label: str, current: float, total: float | None = None, status: str = '') -> None:
        """Report progress of one item; the UI shows one bar per key."""
        item = Progress(key=key, label=label, current=current, total=total, status=status)
        self.progress_items[key] = item
        if self._on_progress is not None:
            self._on_progress(self.run_id, item)

    @property
    def output(self) -> str:
        return '\n'.join(self.lines)
