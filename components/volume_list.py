"""Housekeeping's volumes: each with its size and users, and a Remove confirmed by typing the volume's name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from components.actor import current_actor
from ops.maintenance.volumes import VolumeFacts
from ops.manager import Manager
from ops.sizes import size_text

OPERATION = 'volume_remove'


class volume_list(ui.column):
    """Fill with show(); a volume in use has no Remove (it says who uses it); removing one runs volume_remove."""

    def __init__(self, manager: Manager, *, on_removed: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.manager = manager
        self.on_removed = on_removed
        self.classes('w-full gap-1').props('data-testid=volume-list')
        with self:
            ui.label('Asking the engine…').classes('text-sm opacity-70')

    def show(self, volumes: list[VolumeFacts], error: str | None = None) -> None:
        self.clear()
        with self:
            if error is not None:
                ui.label(f'Volumes are not known: {error}').classes('text-sm opacity-70')
                return
            if not volumes:
                ui.label('No volumes.').classes('text-sm opacity-70')
            for volume in volumes:
                self._row(volume)

    def _row(self, volume: VolumeFacts) -> None:
        size = 'size not computed' if volume.size is None else size_text(volume.size)
        with ui.row().classes('w-full items-center gap-x-3 gap-y-0 no-wrap py-1') as row:
            row.props['data-volume'] = volume.name
            with ui.column().classes('gap-0 min-w-0 grow'):
                ui.label(volume.name).classes('font-mono text-sm break-all')
                used = f'in use by {", ".join(volume.used_by)}' if volume.in_use else 'not in use'
                stack = f' · stack {volume.stack}' if volume.stack else ''
                ui.label(f'{size} · {used}{stack}').classes('text-xs opacity-70 break-all')
            if volume.in_use:
                badge = ui.badge('in use', color='grey-6').props('outline data-testid=volume-in-use')
                badge.tooltip('A container (running or stopped) mounts it: remove the container first.')
                return
            button = ui.button('Remove…', icon='delete_forever', on_click=lambda v=volume: self._remove(v))
            button.props('flat dense no-caps color=negative data-testid=volume-remove')

    async def _remove(self, volume: VolumeFacts) -> None:
        if not await _confirm(volume):
            return
        handle = await self.manager.submit(OPERATION, {'volume': volume.name}, actor=current_actor(), origin='ui')
        ui.notify(f'Removing volume {volume.name}: run #{handle.run_id} started', type='info')
        await handle.outcome()  # how it ended is the frame's run toast (run_toasts): one toast per ending
        await self.on_removed()


async def _confirm(volume: VolumeFacts) -> bool:
    """Names the volume and its size; the Remove button works only once the name is typed."""
    size = 'its size is not computed' if volume.size is None else f'{size_text(volume.size)} of data'
    with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full gap-3').props('data-testid=confirm-dialog'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('warning', color='negative', size='md')
            ui.label('Remove volume?').classes('text-lg font-semibold')
        ui.label(volume.name).classes('font-mono text-sm break-all')
        ui.label(f'Every file in it ({size}) is deleted for good; there is no undo.').classes('text-sm')
        typed = ui.input('Type the volume name to confirm').props('dense data-testid=volume-confirm-name')
        typed.classes('w-full')
        ui.label(f'It runs as {current_actor()} and is recorded in the audit trail.').classes('text-sm opacity-70')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat no-caps')
            remove = ui.button('Remove volume', on_click=lambda: dialog.submit(typed.value == volume.name))
            remove.props('no-caps color=negative data-testid=confirm-run')
            remove.bind_enabled_from(typed, 'value', backward=lambda text: text == volume.name)
    try:
        return bool(await dialog)
    finally:
        if not dialog.is_deleted:
            dialog.delete()
