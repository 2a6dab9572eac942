"""The confirmation a change needs: what exactly will happen, with which arguments, recorded as whom."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ops.registry import OperationSpec


async def confirm_run(spec: OperationSpec[Any], values: dict[str, Any], actor: str) -> bool:
    """Ask before a change, in the operation's own words (its label, the consequence); True only when the person
    clicks the button that names the operation."""
    with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full gap-3').props('data-testid=confirm-dialog'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('warning', color='warning', size='md')
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(f'{spec.label}?').classes('text-lg font-semibold')
                ui.label(spec.name).classes('font-mono text-xs opacity-60 break-all')
        ui.label(spec.what_happens(values)).classes('text-base')
        arguments(list(values.items()) or [('arguments', 'none')])
        ui.label(f'It runs as {actor} and is recorded in the audit trail.').classes('text-sm opacity-70')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat')
            ui.button(spec.label, on_click=lambda: dialog.submit(True)).props(
                'color=warning text-color=black data-testid=confirm-run'
            ).mark('confirm-run')
    try:
        return bool(await dialog)
    finally:
        if not dialog.is_deleted:  # the whole page goes when its session ends or its tab is closed
            dialog.delete()


def arguments(pairs: list[tuple[str, Any]]) -> None:
    """What a confirmation acts on, one `key: value` row each (values as text, in a monospace font)."""
    with ui.column().classes('gap-0 w-full'):
        for key, value in pairs:
            with ui.row().classes('gap-2 no-wrap w-full'):
                ui.label(f'{key}:').classes('text-sm opacity-70 w-24 shrink-0')
                ui.label(str(value)).classes('text-sm font-mono break-all')
