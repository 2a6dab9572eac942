"""Newer / Older buttons over keyset cursors: a page costs the same at any depth, and nothing counts rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from components.coalesced import Coalesced

PAGE_SIZE = 50  # rows a page shows on the Runs and Audit pages
# Shows the page of rows older than `before` (None: the newest) and returns the cursor of the next one.
Loader = Callable[[int | None], Awaitable[int | None]]


class pager(ui.row):
    """Remembers the cursors walked so far, so Newer goes back exactly the way Older came."""

    def __init__(self, load: Loader) -> None:
        super().__init__()
        self._load = load
        self._trail: list[int | None] = []
        self.before: int | None = None
        self.next_before: int | None = None
        self._refresh = Coalesced(self._fetch, name='pager')
        self.classes('items-center gap-2')
        with self:
            self.newer = ui.button('Newer', icon='chevron_left', on_click=self.go_newer)
            self.newer.props('flat dense no-caps data-testid=page-newer').mark('page-newer')
            self.where = ui.label().classes('text-sm opacity-70')
            self.older = (
                ui.button('Older', on_click=self.go_older)
                .props('flat dense no-caps icon-right=chevron_right data-testid=page-older')
                .mark('page-older')
            )
        self._show()

    @property
    def on_first_page(self) -> bool:
        """Whether the newest rows are shown (where new rows appear)."""
        return self.before is None

    async def first(self) -> None:
        """Start again at the newest rows (after a filter change)."""
        self._trail.clear()
        self.before = None
        await self.reload()

    async def go_older(self) -> None:
        """One page further back in time."""
        if self.next_before is None:
            return
        self._trail.append(self.before)
        self.before = self.next_before
        await self.reload()

    async def go_newer(self) -> None:
        """One page towards the present."""
        if not self._trail:
            return
        self.before = self._trail.pop()
        await self.reload()

    async def reload(self) -> None:
        """Fetch the current page again; calls that arrive while one runs are folded into one more fetch."""
        if await self._refresh.run():
            self._show()

    async def _fetch(self) -> None:
        self.next_before = await self._load(self.before)

    def _show(self) -> None:
        self.newer.set_enabled(bool(self._trail))
        self.older.set_enabled(self.next_before is not None)
        self.where.set_text('Newest' if not self._trail else f'Page {len(self._trail) + 1}')
