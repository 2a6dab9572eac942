"""Run the System's start before NiceGUI serves anything, and its stop after NiceGUI has shut down.

NiceGUI's own on_startup handlers run as background tasks, so a request could race the store's
opening; a lifespan wrapper awaits it instead (the same technique Tortoise's register_tortoise uses).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from nicegui import app

# Captured once at import: rebuilding the app (tests do) must wrap NiceGUI's lifespan, not our last wrapper.
_NICEGUI_LIFESPAN = app.router.lifespan_context


def run_with_app(start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> None:
    @asynccontextmanager
    async def lifespan(instance: Any) -> AsyncIterator[None]:
        await start()
        try:
            async with _NICEGUI_LIFESPAN(instance):
                yield
        finally:
            await stop()

    app.router.lifespan_context = lifespan
