"""What approving an action will do, before anything is done: the steps, Compose's dry run and the
settings that change (running → wanted)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

ERROR_TEXT = 'text-red-700 dark:text-red-300'  # a red that reads well on light and on dark
_DIFF_GRID = 'grid-cols-[minmax(4rem,max-content)_minmax(0,1fr)_minmax(0,1fr)]'
_PRE = 'font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere]'
_OLD = 'bg-red-500/15 text-red-900 dark:text-red-200'
_NEW = 'bg-green-500/15 text-green-900 dark:text-green-200'


class action_plan(ui.column):
    """The plan preview stored with a proposed action (every value is shown as text)."""

    def __init__(self, plan: dict[str, Any]) -> None:
        super().__init__()
        self.classes('w-full gap-3 min-w-0').props('data-testid=action-plan')
        steps = [str(step) for step in plan.get('steps') or []]
        dry_run = [str(line) for line in plan.get('dry_run') or []]
        diff = [row for row in plan.get('diff') or [] if isinstance(row, dict)]
        override = plan.get('override')
        error = plan.get('error')
        with self:
            if steps:
                with ui.column().classes('w-full gap-1'):
                    _heading('Steps')
                    for number, step in enumerate(steps, start=1):
                        with ui.row().classes('w-full gap-2 no-wrap items-baseline'):
                            ui.label(f'{number}.').classes('text-sm opacity-60 w-5 shrink-0 text-right')
                            ui.label(step).classes('text-sm break-words min-w-0').props('data-plan=step')
            if dry_run:
                with ui.column().classes('w-full gap-1'):
                    _heading('compose up --dry-run says')
                    block = ui.label('\n'.join(dry_run)).classes(
                        f'{_PRE} w-full p-2 rounded bg-gray-500/10 max-h-60 overflow-auto'
                    )
                    block.props('data-plan=dry-run')
            if diff:
                with ui.column().classes('w-full gap-1'):
                    _heading('Settings that change')
                    _diff_table(diff)
            if override:
                with ui.column().classes('w-full gap-1'):
                    _heading('Override file it writes (in the data directory, never the repository)')
                    block = ui.label(str(override)).classes(f'{_PRE} w-full p-2 rounded bg-gray-500/10 overflow-auto')
                    block.props('data-plan=override')
            if error:
                label = ui.label(str(error)).classes(f'text-sm {ERROR_TEXT} whitespace-pre-wrap break-words w-full')
                label.props('data-plan=error')
            if not (steps or dry_run or diff or override or error):
                ui.label('No preview for this action.').classes('text-sm opacity-70')


def _heading(text: str) -> None:
    ui.label(text).classes('text-xs uppercase tracking-wide opacity-60')


def _diff_table(rows: list[dict[str, Any]]) -> None:
    with ui.element().classes(f'w-full grid {_DIFF_GRID} gap-x-2 gap-y-1 items-start').props('data-plan=diff'):
        for heading in ('Setting', 'Running', 'Wanted'):
            ui.label(heading).classes('text-xs uppercase opacity-60')
        for row in rows:
            running, wanted = row.get('running'), row.get('wanted')
            ui.label(str(row.get('setting', ''))).classes(f'{_PRE} font-semibold py-0.5 max-w-[14rem]')
            _value(running, _OLD if running != wanted else '')
            _value(wanted, _NEW if running != wanted else '')


def _value(value: object, highlight: str) -> None:
    if value is None:
        ui.label('not set').classes(f'text-xs italic opacity-70 px-1 py-0.5 rounded {highlight}')
    else:
        ui.label(str(value)).classes(f'{_PRE} px-1 py-0.5 rounded {highlight}')
