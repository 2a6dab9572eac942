"""The last few runs, newest first, refreshed when the manager says a run changed."""

from __future__ import annotations

from nicegui import ui

from components.coalesced import Coalesced
from components.listen import listen
from components.state_looks import run_look
from ops.clock import age_text
from ops.manager import Manager
from ops.runs import RunUpdate
from ops.store.models import Run
from ops.store.queries import runs_page


class recent_runs(ui.column):
    """A compact list of the last `limit` runs: state, operation, who, and how long ago."""

    def __init__(self, manager: Manager, *, limit: int = 5) -> None:
        super().__init__()
        self.classes('w-full gap-0').props('data-testid=recent-runs')
        self.manager = manager
        self.limit = limit
        self._refresh = Coalesced(self._load, name='recent-runs')
        self.reload()
        listen(manager.run_changed, self._on_run, owner=self)

    def _on_run(self, update: RunUpdate) -> None:
        self.reload()

    def reload(self) -> None:
        """Fetch the runs again in the background (a burst of changes costs one or two queries)."""
        self._refresh.request()

    async def _load(self) -> None:
        page = await runs_page(limit=self.limit)
        if not self.is_deleted:
            self._render(page.rows)

    def _render(self, runs: list[Run]) -> None:
        self.clear()
        with self:
            if not runs:
                ui.label('No runs yet.').classes('text-sm opacity-70 px-3 py-2')
            for run in runs:
                with ui.row().classes('w-full items-center gap-2 px-3 py-1 no-wrap border-t border-gray-500/20'):
                    look = run_look(run.state)
                    badge = ui.badge(look.label, color=look.color)
                    badge.props['data-run-state'] = f'{run.operation}:{run.state.value}'
                    link = ui.link(f'#{run.id} {run.operation}', f'/runs/{run.id}')
                    link.classes('text-sm break-all text-blue-700 dark:text-blue-300 no-underline hover:underline')
                    ui.space()
                    ui.label(f'{run.actor} · {age_text(run.created_at)} ago').classes('text-xs opacity-70 text-right')
