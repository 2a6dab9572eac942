"""One run in full: who asked, when, how it ended, arguments, result, output and its audit events."""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from components.audit_table import audit_table
from components.listen import listen
from components.run_state import run_state_badge
from components.run_table import duration, local_time
from components.run_view import live_context, run_view
from ops.manager import Manager
from ops.runs import RunUpdate
from ops.store.history import audit_of_run, run_by_id
from ops.store.models import Run

_PRE = 'font-mono text-xs whitespace-pre-wrap break-all w-full'


async def run_detail(manager: Manager, run_id: int) -> None:
    """Build the detail of one run; while it runs, a live view, and the whole detail again when it ends."""
    box = ui.column().classes('w-full gap-4')

    async def build() -> None:
        run = await run_by_id(run_id)
        box.clear()
        with box:
            if run is None:
                _missing(run_id)
                return
            _summary(run)
            if not run.state.finished and live_context(manager, run_id) is not None:
                run_view(manager, run.id, run.operation, state=run.state)
            _sections(run)
            with ui.card().classes('w-full gap-2'):
                ui.label('Audit events').classes('text-base font-semibold')
                audit_table().show(await audit_of_run(run_id))

    async def on_change(update: RunUpdate) -> None:
        if update.state.finished:
            await build()

    # Subscribe first: a run that ends while the page is being built still triggers the rebuild.
    stream = manager.stream(run_id)
    if stream is not None:
        listen(stream.changed, on_change, owner=box)
    await build()


def _missing(run_id: int) -> None:
    with ui.card().classes('w-full'):
        ui.label(f'There is no run #{run_id}.').classes('text-base')
        ui.link('All runs', '/runs')


def _summary(run: Run) -> None:
    with ui.card().classes('w-full gap-3'):
        with ui.row().classes('w-full items-center gap-3'):
            ui.label(run.operation).classes('font-mono text-lg font-semibold break-all')
            run_state_badge(run.state)
            ui.space()
            ui.link('All runs', '/runs').classes('text-sm')
        facts: list[tuple[str, Any]] = [
            ('Actor', run.actor),
            ('From', run.origin),
            ('Requested', local_time(run.created_at)),
            ('Started', local_time(run.started_at) or '—'),
            ('Finished', local_time(run.finished_at) or '—'),
            ('Took', duration(run.started_at or run.created_at, run.finished_at) or '—'),
        ]
        if run.joined_run_id:
            facts.append(('Joined', f'run #{run.joined_run_id}'))
        with ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-6 gap-3'):
            for name, value in facts:
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(name).classes('text-xs opacity-60 uppercase')
                    ui.label(str(value)).classes('text-sm break-all').props(f'data-fact={name.lower()}')
        if run.error:
            with ui.row().classes('w-full items-start gap-2 no-wrap'):
                ui.icon('error', color='negative')
                ui.label(run.error).classes('text-sm text-negative whitespace-pre-wrap break-words')


def _sections(run: Run) -> None:
    with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4'):
        with ui.card().classes('gap-2 min-w-0'):
            ui.label('Arguments').classes('text-base font-semibold')
            text = json.dumps(run.params, indent=2, ensure_ascii=False) if run.params else 'none'
            ui.label(text).classes(_PRE).props('data-testid=run-params')
        with ui.card().classes('gap-2 min-w-0'):
            ui.label('Result').classes('text-base font-semibold')
            text = json.dumps(run.result, indent=2, ensure_ascii=False) if run.result is not None else 'none'
            with ui.element('div').classes('w-full max-h-96 overflow-auto'):
                ui.label(text).classes(_PRE).props('data-testid=run-result')
    with ui.card().classes('w-full gap-2'):
        with ui.row().classes('w-full items-baseline gap-2'):
            ui.label('Output').classes('text-base font-semibold')
            if run.dropped_lines:
                ui.label(f'{run.dropped_lines} earlier lines were dropped; the last ones are kept').classes(
                    'text-sm opacity-70'
                )
        if run.output:
            with ui.element('div').classes('w-full max-h-[28rem] overflow-auto rounded border border-gray-500/30 p-2'):
                ui.label(run.output).classes(_PRE).props('data-testid=run-output-text')
        else:
            ui.label('No output.').classes('text-sm opacity-70')
