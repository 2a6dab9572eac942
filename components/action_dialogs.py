"""The questions before a decision: approve (what will run, as whom) and reject (why, optionally)."""

from __future__ import annotations

from nicegui import ui

from components.op_confirm import arguments
from ops.store.models import Action


async def confirm_approve(action: Action, actor: str) -> bool:
    """Ask before an action runs; True only when the person clicks the button that names it."""
    with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full gap-3').props('data-testid=confirm-dialog'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('warning', color='warning', size='md')
            ui.label(f'Approve: {action.title}?').classes('text-lg font-semibold break-words min-w-0')
        ui.label(f'Stack {action.stack}: {action.detail}').classes('text-base break-words')
        arguments([('operation', action.operation), *action.params.items()])
        ui.label(f'It runs now as {actor} and is recorded in the audit trail.').classes('text-sm opacity-70')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat no-caps')
            ui.button('Approve and run', icon='check', on_click=lambda: dialog.submit(True)).props(
                'no-caps color=primary data-testid=confirm-approve'
            ).mark('confirm-approve')
    try:
        return bool(await dialog)
    finally:
        dialog.delete()


async def ask_reject_reason(action: Action) -> str | None:
    """Ask why (optional); None when the person changes their mind."""
    with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full gap-3').props('data-testid=reject-dialog'):
        ui.label(f'Reject: {action.title}?').classes('text-lg font-semibold break-words')
        ui.label('Nothing runs. The same difference is not proposed again until it changes or goes away.').classes(
            'text-sm opacity-80'
        )
        reason = (
            ui.input('Reason (optional, kept in the audit trail)')
            .classes('w-full')
            .props('maxlength=500 data-testid=reject-reason')
        )
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
            ui.button('Reject', icon='block', on_click=lambda: dialog.submit(str(reason.value or '').strip())).props(
                'no-caps color=negative data-testid=confirm-reject'
            ).mark('confirm-reject')
    try:
        answer = await dialog
        return answer if isinstance(answer, str) else None
    finally:
        dialog.delete()
