"""One load at a time: requests that arrive while a load runs are folded into one more load afterwards, so a
burst of changes costs one or two queries however long it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import background_tasks


class Coalesced:
    """Wraps an async `load`; `run()` awaits it (coalesced), `request()` starts it in the background."""

    def __init__(self, load: Callable[[], Awaitable[object]], *, name: str) -> None:
        self._load = load
        self._name = name
        self._loading = False
        self._again = False

    async def run(self) -> bool:
        """Load (again while more requests came in meanwhile); False when folded into a load already running."""
        if self._loading:
            self._again = True
            return False
        self._loading = True
        try:
            while True:
                self._again = False
                await self._load()
                if not self._again:
                    return True
        finally:
            self._loading = False

    def request(self) -> None:
        """Load in the background."""
        if self._loading:
            self._again = True
            return
        background_tasks.create(self.run(), name=self._name)
