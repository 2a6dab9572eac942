"""Slow page refreshes (uptimes, "… ago" labels) from one app-wide timer per interval.

A `ui.timer` sleeps its whole interval before it notices that its page is gone, so every closed page would
stay in memory for up to a minute. Here a page only subscribes; it is let go the moment its client is.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

from nicegui import app, background_tasks, context

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

    def tick(_: None) -> None:
        result = callback()
        if inspect.isawaitable(result):
            background_tasks.create(_awaited(result), name='ticker')

    stop = ticker.subscribe(tick)
    context.client.on_delete(stop)
    return stop


async def _awaited(result: Awaitable[object]) -> None:
    await result
