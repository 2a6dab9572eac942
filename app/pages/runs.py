"""Runs: the history of every operation run (filtered, paged by keyset, live), and one run in detail."""

from __future__ import annotations

from nicegui import background_tasks, ui

from app.system import System
from components.frame import frame
from components.history_filter import history_filter
from components.history_view import HistoryView
from components.listen import listen
from components.run_detail import run_detail
from components.run_table import run_table
from components.state_looks import RUN_LOOKS, labels
from ops.runs import RunUpdate
from ops.store.queries import HistoryFilter, runs_page


def register(system: System) -> None:
    @ui.page('/runs', title='Runs · Homelab')
    async def runs_page_view() -> None:
        with frame('Runs', system.manager):
            await RunsPage(system).start()

    @ui.page('/runs/{run_id}', title='Run · Homelab')
    async def run_page(run_id: int) -> None:
        with frame(f'Run #{run_id}', system.manager):
            await run_detail(system.manager, run_id)


class RunsPage(HistoryView):
    """Filters, the table and the pager; a run that starts or changes shows up without a reload."""

    table: run_table

    def __init__(self, system: System) -> None:
        self.where = HistoryFilter()
        with ui.card().classes('w-full gap-2'):
            history_filter(
                self.filter_changed,
                operations=system.manager.registry.names(),
                states=labels(RUN_LOOKS),
            )
            self.attach(run_table(), runs_page)
        listen(system.manager.run_changed, self.run_changed)

    def run_changed(self, update: RunUpdate) -> None:
        """New runs appear on the newest page; a shown run's state changes where it is."""
        shown = any(row['id'] == update.run_id for row in self.table.rows)
        if shown or self.pager.on_first_page:
            background_tasks.create(self.pager.reload(), name='runs-live')
