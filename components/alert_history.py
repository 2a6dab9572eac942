"""Every alert, newest first: the filter, the table and the keyset pager (as the Runs and Audit pages page)."""

from __future__ import annotations

from nicegui import background_tasks, ui

import components.pager as paging
from components.alert_filter import alert_filter
from components.alert_table import alert_table
from components.coalesced import Coalesced
from components.pager import pager
from ops.alerts.history import AlertFilter, alerts_page, deliveries_of


class alert_history(ui.column):
    """reload() fetches the page shown again (after an alert changed or a message was delivered)."""

    def __init__(self) -> None:
        super().__init__()
        self.where = AlertFilter()
        self.classes('w-full gap-2')
        with self:
            alert_filter(self.filter_changed)
            self.table = alert_table()
            self.pager = pager(self.load)
        # A burst of changes (ten alerts, their messages) is one reload at a time, the last one showing the end.
        self._reloads = Coalesced(self.pager.reload, name='alert-history')

    async def start(self) -> None:
        await self.pager.first()

    def reload(self) -> None:
        self._reloads.request()

    async def load(self, before: int | None) -> int | None:
        """Show one page; returns the cursor of the next."""
        page = await alerts_page(before=before, limit=paging.PAGE_SIZE, where=self.where)
        self.table.show(page.rows, await deliveries_of(alert.id for alert in page.rows))
        return page.next_before

    def filter_changed(self, where: AlertFilter) -> None:
        """A new filter starts at the newest alerts again."""
        self.where = where
        background_tasks.create(self.pager.first(), name='alert-filter')
