"""Buttons for the catalog operations on one container; a mutating one asks first; all run through the manager."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from ops.manager import Manager
from ops.registry import OperationSpec

# Button label, icon and the arguments besides the container, per operation (others get their summary as label).
ACTIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    'docker_restart': ('Restart', 'restart_alt', {}),
    'docker_pull': ('Pull image', 'cloud_download', {}),
    'docker_health': ('Health check', 'monitor_heart', {}),
    'docker_inspect': ('Inspect', 'info', {}),
    'docker_logs': ('Save last 200 lines as a run', 'receipt_long', {'tail': 200}),
}


class container_actions(ui.row):
    """One button per allowed operation on `container`; `actor` names who clicked, `on_done` runs after each run."""

    def __init__(self, manager: Manager, container: str, *, actor: str, on_done: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.classes('items-center gap-2').props('data-testid=container-actions')
        self._manager = manager
        self._container = container
        self._actor = actor
        self._on_done = on_done
        with self:
            for spec in container_operations(manager):
                label, icon, _ = ACTIONS.get(spec.name, (spec.name, 'play_arrow', {}))
                button = ui.button(label, icon=icon, on_click=lambda s=spec: self._ask(s))
                button.props(f'{"" if spec.mutating else "outline "}dense no-caps data-op={spec.name}').mark(spec.name)
                button.props(f'color={"warning" if spec.mutating else "primary"}').tooltip(spec.summary)

    async def _ask(self, spec: OperationSpec[Any]) -> None:
        label = ACTIONS.get(spec.name, (spec.name,))[0]
        if spec.mutating:
            with ui.dialog() as dialog, ui.card().classes('gap-3').props('data-testid=confirm-dialog'):
                ui.label(f'{label}: {self._container}?').classes('text-lg font-semibold break-all')
                ui.label(f'{spec.summary}. This changes the host and is recorded in the audit trail.').classes(
                    'text-sm'
                )
                with ui.row().classes('w-full justify-end gap-2'):
                    ui.button('Cancel', on_click=lambda: dialog.submit(False)).props(
                        'flat data-testid=confirm-no'
                    ).mark('confirm-no')
                    ui.button(label, on_click=lambda: dialog.submit(True)).props(
                        'color=warning data-testid=confirm-yes'
                    ).mark('confirm-yes')
            confirmed = await dialog
            dialog.delete()
            if not confirmed:
                return
        await self._run(spec, label)

    async def _run(self, spec: OperationSpec[Any], label: str) -> None:
        params = {'container': self._container, **ACTIONS.get(spec.name, ('', '', {}))[2]}
        handle = await self._manager.submit(spec.name, params, actor=self._actor, origin='ui')
        ui.notify(f'{label} of {self._container}: run #{handle.run_id} started', type='info')
        outcome = await handle.outcome()
        if outcome.succeeded:
            ui.notify(f'{label} of {self._container} succeeded (run #{outcome.run_id})', type='positive')
        else:
            reason = outcome.error or outcome.state.value
            ui.notify(f'{label} of {self._container} {outcome.state.value}: {reason}', type='negative', multi_line=True)
        await self._on_done()


def container_operations(manager: Manager) -> list[OperationSpec[Any]]:
    """The catalog operations whose only required argument is a container, mutating ones first."""
    specs = []
    for spec in manager.registry.specs():
        fields = spec.params.model_fields
        required = {name for name, info in fields.items() if info.is_required()}
        if 'container' in fields and required <= {'container'}:
            specs.append(spec)
    order = list(ACTIONS)
    return sorted(specs, key=lambda s: (not s.mutating, order.index(s.name) if s.name in order else len(order)))
