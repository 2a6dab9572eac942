"""The confirmation a change needs: what exactly will happen, with which arguments, recorded as whom."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ops.registry import OperationSpec

# What each change does in the homelab's words; {…} are the request's arguments.
WHAT_HAPPENS = {
    'docker_restart': 'Container {container} is stopped and started again; its service is down meanwhile.',
    'docker_pull': 'The newest image for {target} is pulled. Running containers keep their image until recreated.',
    'docker_pull_all': 'The images of {stacks} are pulled. Nothing is restarted.',
    'docker_up_all': '`docker compose up -d` runs for {stacks}: containers whose definition or image changed are '
    'recreated, so their services restart.',
    'host_reboot': 'The host is asked to reboot: every container, and this console, go down for a few minutes.',
    'backup_run': 'The host is asked to start its backup unit now; the backup runs on the host, not here.',
}


def what_happens(spec: OperationSpec[Any], values: dict[str, Any]) -> str:
    """One sentence saying what running this request changes."""
    template = WHAT_HAPPENS.get(spec.name)
    if template is None:
        return f'{spec.summary}.'
    stack = values.get('stack')
    if values.get('container'):
        target = f'container {values["container"]}'
    elif stack and values.get('service'):
        target = f'service {stack}/{values["service"]}'
    else:
        target = 'nothing chosen yet (the request will be refused)'
    stacks = f'stack {stack}' if stack else 'every configured stack'
    return template.format(container=values.get('container', '(none chosen)'), target=target, stacks=stacks)


async def confirm_run(spec: OperationSpec[Any], values: dict[str, Any], actor: str) -> bool:
    """Ask before a change; True only when the person clicks the button that names the operation."""
    with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full gap-3').props('data-testid=confirm-dialog'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('warning', color='warning', size='md')
            ui.label(f'Run {spec.name}?').classes('text-lg font-semibold')
        ui.label(what_happens(spec, values)).classes('text-base')
        with ui.column().classes('gap-0 w-full'):
            for key, value in values.items() or [('arguments', 'none')]:
                with ui.row().classes('gap-2 no-wrap w-full'):
                    ui.label(f'{key}:').classes('text-sm opacity-70 w-24 shrink-0')
                    ui.label(str(value)).classes('text-sm font-mono break-all')
        ui.label(f'It runs as {actor} and is recorded in the audit trail.').classes('text-sm opacity-70')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat')
            ui.button(f'Run {spec.name}', on_click=lambda: dialog.submit(True)).props(
                'color=warning text-color=black data-testid=confirm-run'
            ).mark('confirm-run')
    try:
        return bool(await dialog)
    finally:
        if not dialog.is_deleted:  # the whole page goes when its session ends or its tab is closed
            dialog.delete()
