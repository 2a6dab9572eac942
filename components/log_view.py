"""The lines of a log pane in the browser: a small Vue component that renders text segments, never HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nicegui import ui

# Static styles, added once for every page (never built from log content).
ui.add_css(Path(__file__).with_name('log_view.css'), shared=True)


class log_view(ui.element, component='log_view.js'):
    """Receives batches of lines already split into (text, classes) segments and keeps the last `max_lines`."""

    def __init__(self, *, max_lines: int) -> None:
        super().__init__()
        self._props['max-lines'] = max_lines
        self._props['follow'] = True

    def append(self, batch: list[dict[str, Any]]) -> None:
        """Send one batch (one websocket message, however many lines)."""
        if batch:
            self.run_method('append', batch)

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
