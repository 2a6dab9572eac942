"""Housekeeping's prune: kinds and age to choose, a preview table (kind, name, size, total), and "Prune these"."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from components.actor import current_actor
from components.run_view import run_view
from ops.maintenance.prune_plan import KIND_LABELS, PruneKind
from ops.maintenance.prune_run import MAX_APPROVED
from ops.manager import Manager
from ops.runs import RunOutcome, RunState
from ops.sizes import size_text

OPERATION = 'docker_prune'
CHOICES = (
    ('stopped_containers', 'Stopped containers of no configured stack'),
    ('dangling_images', 'Dangling images'),
    ('unused_images', 'Unused images older than the age'),
    ('unused_networks', 'Unused networks'),
    ('build_cache', 'Build cache'),
)
IDLE = 'Preview to see what a prune would remove; nothing is removed until you confirm.'
AGE = re.compile(r'^\d{1,5}[smhd]$')
COLUMNS = [
    {'name': 'kind', 'label': 'Kind', 'field': 'kind', 'align': 'left'},
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left', 'classes': 'break-all'},
    {'name': 'size', 'label': 'Frees', 'field': 'size', 'align': 'right'},
]


class prune_preview(ui.column):
    """Preview runs docker_prune as a dry run; "Prune these" (confirmed, restating the total) runs it for real with
    the same choices and `only` the previewed items' ids, so nothing the preview did not show is removed. Both go
    through the manager, so both are audited."""

    def __init__(self, manager: Manager, *, default_age: str, on_pruned: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.manager = manager
        self.on_pruned = on_pruned
        self.preview: dict[str, Any] | None = None
        self.classes('w-full gap-3').props('data-testid=prune-preview')
        with self:
            with ui.row().classes('w-full gap-x-4 gap-y-0 items-center'):
                self.kinds = {
                    key: ui.switch(label, value=True).props(f'dense data-kind={key}') for key, label in CHOICES
                }
            with ui.row().classes('w-full gap-3 items-end'):
                self.age = ui.input('Age of an unused image', value=default_age, validation=_age_problem)
                self.age.props('dense data-testid=prune-age hint="e.g. 7d, 12h"').classes('w-48')
                ui.button('Preview', icon='visibility', on_click=self.show_preview).props(
                    'outline no-caps data-testid=prune-preview-button'
                )
                self.prune_button = ui.button('Prune these…', icon='cleaning_services', on_click=self.prune)
                self.prune_button.props('unelevated no-caps color=warning text-color=black data-testid=prune-run')
                self.prune_button.disable()
            self.summary = ui.label(IDLE).classes('text-sm opacity-80').props('data-testid=prune-summary')
            self.notes = ui.column().classes('w-full gap-1')
            self.table = ui.table(columns=COLUMNS, rows=[], row_key='id').classes('w-full')
            self.table.props('flat bordered dense wrap-cells data-testid=prune-table')
            self.table.set_visibility(False)
            self.runs = ui.column().classes('w-full gap-2')
        for switch in self.kinds.values():
            switch.on_value_change(self._choices_changed)
        self.age.on_value_change(self._choices_changed)

    def values(self, *, dry_run: bool) -> dict[str, Any]:
        """The docker_prune arguments the switches and the age say."""
        return {
            'dry_run': dry_run,
            **{key: bool(s.value) for key, s in self.kinds.items()},
            'older_than': self.age.value,
        }

    async def show_preview(self) -> None:
        if _age_problem(self.age.value):
            return
        outcome = await self._run(self.values(dry_run=True))
        if outcome is None or not outcome.result:
            return
        self.preview = outcome.result['plan']
        self._show_plan(self.preview)

    async def prune(self) -> None:
        if self.preview is None:
            return
        # Exactly the previewed items (at most MAX_APPROVED at once: the rest at the next prune).
        items = self.preview['items'][:MAX_APPROVED]
        shown = {**self.preview, 'items': items, 'total_bytes': sum(item['size'] for item in items)}
        if not await self._confirm(shown):
            return
        only = [item['id'] for item in items]
        outcome = await self._run({**self.values(dry_run=False), 'only': only}, follow=True)
        previewed = set(only)
        self.preview = None
        self.prune_button.disable()
        if outcome is not None and outcome.result:
            self._show_result(outcome.result, previewed)
        await self.on_pruned()

    async def _run(self, values: dict[str, Any], *, follow: bool = False) -> RunOutcome | None:
        handle = await self.manager.submit(OPERATION, values, actor=current_actor(), origin='ui')
        if follow:
            self.runs.clear()
            with self.runs:
                view = run_view(self.manager, handle.run_id, OPERATION)
        outcome = await handle.outcome()
        if follow:
            view.finish(outcome)
        # A failure's toast is the frame's (run_toasts), as every run's ending.
        return outcome if outcome.state is RunState.SUCCEEDED else None

    def _show_plan(self, plan: dict[str, Any]) -> None:
        items = plan['items']
        self.summary.set_text(
            f'{len(items)} item(s) would be removed, freeing at least {size_text(plan["total_bytes"])}.'
            if items
            else 'Nothing to remove with these choices.'
        )
        self.table.rows = [_row(item) for item in items]
        self.table.update()
        self.table.set_visibility(bool(items))
        self.notes.clear()
        with self.notes:
            for note in plan['notes']:
                ui.label(note).classes('text-xs opacity-70')
        self.prune_button.set_enabled(bool(items))

    def _show_result(self, result: dict[str, Any], previewed: set[str]) -> None:
        removed, skipped = result['removed'], result['skipped']
        planned = {item['id'] for item in result['plan']['items']}
        self.summary.set_text(
            f'Removed {len(removed)} item(s), freed {size_text(result["freed_bytes"])}; skipped {len(skipped)}.'
        )
        self.table.rows = [_row(item) for item in removed]
        self.table.update()
        self.table.set_visibility(bool(removed))
        self.notes.clear()
        with self.notes:
            if planned != previewed:
                ui.label(f'The engine changed since the preview: {len(planned - previewed)} new item(s) qualify now '
                         f'(left: not in the preview) and {len(previewed - planned)} previewed item(s) no longer '
                         'qualified.').classes('text-sm text-warning')  # fmt: skip
            for item in skipped:
                ui.label(f'Skipped {item["name"]}: {item["reason"]}').classes('text-sm text-warning break-all')

    async def _confirm(self, plan: dict[str, Any]) -> bool:
        count, total = len(plan['items']), size_text(plan['total_bytes'])
        with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full gap-3').props('data-testid=confirm-dialog'):
            with ui.row().classes('items-center gap-2 no-wrap'):
                ui.icon('warning', color='warning', size='md')
                ui.label(f'Prune {count} item(s), freeing at least {total}?').classes('text-lg font-semibold')
            ui.label('Exactly the previewed items are removed, each re-checked just before (still stopped, still '
                     'unused); anything that qualifies only since the preview is left. Volumes are never '
                     'touched.').classes('text-sm')  # fmt: skip
            ui.label(f'It runs as {current_actor()} and is recorded in the audit trail.').classes('text-sm opacity-70')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat no-caps')
                ui.button(f'Prune {count} item(s)', on_click=lambda: dialog.submit(True)).props(
                    'no-caps color=warning text-color=black data-testid=confirm-run'
                )
        try:
            return bool(await dialog)
        finally:
            if not dialog.is_deleted:
                dialog.delete()

    def _choices_changed(self) -> None:
        """A preview is of the choices it was made with: changing them asks for a new one."""
        if self.preview is not None:
            self.preview = None
            self.prune_button.disable()
            self.summary.set_text('The choices changed: preview again before pruning.')


def _row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': item['id'],
        'kind': KIND_LABELS[PruneKind(item['kind'])],
        'name': item['name'],
        'size': 'no disk' if item['kind'] == PruneKind.UNUSED_NETWORK else size_text(item['size']),
    }


def _age_problem(value: str) -> str | None:
    return None if AGE.fullmatch(value or '') else 'an age like 7d, 12h or 90m'
