"""A maintenance operation run from a button: a confirmation that says what happens, then the run (its ending is
the frame's run toast)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ops.manager import Manager


async def confirm_and_run(manager: Manager, operation: str, params: dict[str, Any], *, title: str, actor: str) -> bool:
    """Ask (the operation's own consequence, in words), run it through the manager; whether it succeeded. Nothing
    runs unless the person confirms."""
    spec = manager.registry.get(operation)
    if spec is None:
        ui.notify(f'{operation} is not in the catalog', type='negative')
        return False
    with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full gap-3').props('data-testid=confirm-dialog'):
        ui.label(title).classes('text-lg font-semibold break-all')
        ui.label(operation).classes('font-mono text-xs opacity-60')
        ui.label(f'{spec.what_happens(params)} This is recorded in the audit trail.').classes('text-sm break-words')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props(
                'flat no-caps data-testid=confirm-no'
            ).mark('confirm-no')
            ui.button(spec.label, on_click=lambda: dialog.submit(True)).props(
                'no-caps color=warning data-testid=confirm-yes'
            ).mark('confirm-yes')
    confirmed = await dialog
    dialog.delete()
    if not confirmed:
        return False
    handle = await manager.submit(operation, params, actor=actor, origin='ui')
    ui.notify(f'{spec.label}: run #{handle.run_id} started', type='info')
    outcome = await handle.outcome()  # how it ended is the frame's run toast (run_toasts): one toast per ending
    return outcome.succeeded
