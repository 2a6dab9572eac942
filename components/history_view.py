"""What the Runs and Audit pages share: a filter, a table of one keyset history and its pager."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from nicegui import background_tasks

import components.pager as paging
from components.pager import pager
from ops.store.queries import HistoryFilter, Page


class ShowsRows(Protocol):
    def show(self, rows: list[Any], /) -> None: ...


PageQuery = Callable[..., Awaitable[Page[Any]]]


class HistoryView:
    """Subclasses build their card, then call `attach(table, query)` where the pager belongs."""

    where: HistoryFilter
    table: ShowsRows
    pager: pager
    _query: PageQuery

    def attach(self, table: ShowsRows, query: PageQuery) -> None:
        """Use `table` for the rows of `query` (runs_page, audit_page); the pager goes right below it."""
        self.table = table
        self._query = query
        self.pager = pager(self.load)

    async def start(self) -> None:
        """Show the newest rows."""
        await self.pager.first()

    async def load(self, before: int | None) -> int | None:
        """Show one page; returns the cursor of the next."""
        page = await self._query(before=before, limit=paging.PAGE_SIZE, where=self.where)
        self.table.show(page.rows)
        return page.next_before

    def filter_changed(self, where: HistoryFilter) -> None:
        """A new filter starts at the newest rows again."""
        self.where = where
        background_tasks.create(self.pager.first(), name='history-filter')
