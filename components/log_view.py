"""The lines of a log pane in the browser: a small Vue component that renders text segments, never HTML."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nicegui import ui

# Static styles, added once for every page (never built from log content).
ui.add_css(Path(__file__).with_name('log_view.css'), shared=True)

_CLOCK = re.compile(r'([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3})')


class log_view(ui.element, component='log_view.js'):
    """Receives batches of lines already split into (text, classes) segments and keeps the last `max_lines`."""

    def __init__(self, *, max_lines: int) -> None:
        super().__init__()
        self._props['max-lines'] = max_lines
        self._props['follow'] = True

    def append(self, batch: list[dict[str, Any]]) -> None:
        """Send one batch (one websocket message, however many lines), packed for the wire."""
        if batch:
            self.run_method('append', packed(batch))

    def forget(self) -> None:
        """Forget every line shown."""
        self.run_method('clear')  # the browser-side method; Element.clear() would remove children

    def show(self, *, pattern: str = '', regex: bool = False, timestamps: bool | None = None) -> None:
        """Filter (and highlight) by `pattern`; with `timestamps`, show or hide each line's time."""
        self._props['pattern'] = pattern
        self._props['regex'] = regex
        if timestamps is not None:
            self._props['timestamps'] = timestamps
        self.update()

    def set_follow(self, follow: bool) -> None:
        """Keep the newest line in view (follow) or leave the scroll position alone."""
        self._props['follow'] = follow
        self.update()


def packed(batch: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """A batch as the browser receives it: {l: lines, t: times}.

    A plain line (one segment without classes, stdout, no prefix) travels as its bare text, and its time as the
    milliseconds since the previous plain line's time (the first: since midnight; null: no time), so a line costs
    its text and a few bytes, not a dict of segments and a time string. Any other line (colours, stderr, a stack
    prefix, a time the browser would not print the same) and every skip marker keep their full form.
    """
    lines: list[Any] = []
    times: list[int | None] = []
    previous = 0
    for item in batch:
        segments = item.get('g')
        if segments is None or len(segments) != 1 or segments[0][1] or 'e' in item or 'p' in item:
            lines.append(item)
            continue
        stamp = item.get('t')
        if stamp is None:
            times.append(None)
        elif clock := _CLOCK.fullmatch(stamp):
            hours, minutes, seconds, millis = (int(part) for part in clock.groups())
            at = ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
            times.append(at - previous)
            previous = at
        else:
            lines.append(item)
            continue
        lines.append(segments[0][0])
    return {'l': lines, 't': times}
