"""Buttons for the catalog operations offered on a container's page; a mutating one asks first; all run through the
manager."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from ops.manager import Manager
from ops.registry import OperationSpec


class container_actions(ui.row):
    """One button per operation whose spec offers a container button; `actor` names who clicked, `on_done` runs
    after each run."""

    def __init__(self, manager: Manager, container: str, *, actor: str, on_done: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.classes('items-center gap-2').props('data-testid=container-actions')
        self._manager = manager
        self._container = container
        self._actor = actor
        self._on_done = on_done
        with self:
            for spec in container_operations(manager):
                button = ui.button(button_label(spec), icon=spec.icon, on_click=lambda s=spec: self._ask(s))
                button.props(f'{"" if spec.mutating else "outline "}dense no-caps data-op={spec.name}').mark(spec.name)
                button.props(f'color={"warning" if spec.mutating else "primary"}')
                button.tooltip(f'{spec.summary} ({spec.name})')

    async def _ask(self, spec: OperationSpec[Any]) -> None:
        label = button_label(spec)
        if spec.mutating:
            what = spec.what_happens(self._params(spec))
            with ui.dialog() as dialog, ui.card().classes('gap-3').props('data-testid=confirm-dialog'):
                ui.label(f'{label}: {self._container}?').classes('text-lg font-semibold break-all')
                ui.label(spec.name).classes('font-mono text-xs opacity-60 break-all')
                ui.label(f'{what} This changes the host and is recorded in the audit trail.').classes('text-sm')
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
        handle = await self._manager.submit(spec.name, self._params(spec), actor=self._actor, origin='ui')
        ui.notify(f'{label} of {self._container}: run #{handle.run_id} started', type='info')
        outcome = await handle.outcome()
        if outcome.succeeded:
            ui.notify(f'{label} of {self._container} succeeded (run #{outcome.run_id})', type='positive')
        else:
            reason = outcome.error or outcome.state.value
            ui.notify(f'{label} of {self._container} {outcome.state.value}: {reason}', type='negative', multi_line=True)
        await self._on_done()

    def _params(self, spec: OperationSpec[Any]) -> dict[str, Any]:
        """The container, and the fixed arguments the operation's container button adds."""
        button = spec.container_button
        return {'container': self._container, **(button.arguments if button is not None else {})}


def container_operations(manager: Manager) -> list[OperationSpec[Any]]:
    """The catalog operations offered as buttons on a container's page: changes first, then by the button's rank."""
    specs = [spec for spec in manager.registry.specs() if spec.container_button is not None]
    return sorted(specs, key=lambda s: (not s.mutating, s.container_button.rank if s.container_button else 0))


def button_label(spec: OperationSpec[Any]) -> str:
    """The container button's own wording, or the operation's label."""
    return (spec.container_button.label if spec.container_button else None) or spec.label
