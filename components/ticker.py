"""Slow page refreshes (uptimes, "… ago" labels) from one app-wide timer per interval.

A `ui.timer` sleeps its whole interval before it notices that its page is gone, so every closed page would
stay in memory for up to a minute. Here a page only subscribes; it is let go the moment its client is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from nicegui import app

from components.listen import listen
from ops.bus import Event

# Per event loop: a test harness may start the app again on a new loop, where the old timer no longer runs.
_tickers: dict[tuple[int, float], Event[None]] = {}


def every(seconds: float, callback: Callable[[], object]) -> Callable[[], None]:
    """Call `callback` (sync or async) every `seconds` while the current page lives; it must only update existing
    elements. Returns the function that stops it earlier."""
    key = (id(asyncio.get_running_loop()), seconds)
    ticker = _tickers.get(key)
    if ticker is None:
        ticker = _tickers[key] = Event()
        app.timer(seconds, lambda: ticker.emit(None))

    return listen(ticker, lambda _: callback())
