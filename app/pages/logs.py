"""Logs: live log panes side by side (one container each), and a merged view of a whole stack."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame
from components.log_slot import container_names, log_slot

MAX_PANES = 4


def register(system: System) -> None:
    @ui.page('/logs', title='Logs · Homelab')
    def logs_page(container: str = '') -> None:
        hub = system.adapters.loghub
        with frame('Logs', system.manager):
            if hub is None:
                ui.label('Logs are not available: the log hub is not running.')
                return
            with ui.row().classes('w-full items-center gap-2'):
                ui.label('Live logs').classes('text-lg font-semibold')
                ui.space()
                add = (
                    ui.button('Add pane', icon='add', on_click=lambda: add_pane())
                    .props('outline dense data-testid=add-pane')
                    .mark('add-pane')
                )
                stack = (
                    ui.button('Stack view', icon='layers', on_click=lambda: add_pane(stack=True))
                    .props('outline dense data-testid=add-stack-pane')
                    .mark('add-stack-pane')
                )
            # Side by side on a wide screen, stacked on a phone.
            panes = ui.element('div').classes('w-full grid gap-3 grid-cols-1 xl:grid-cols-2')

            def add_pane(name: str = '', *, stack: bool = False) -> None:
                with panes:
                    log_slot(system.observer, hub, name, stack=stack, on_close=count_panes)
                count_panes()

            def count_panes() -> None:
                count = len(panes.default_slot.children)
                full = count >= MAX_PANES
                # One pane takes the whole width; more sit side by side on a wide screen (stacked on a phone).
                panes.classes(replace=f'w-full grid gap-3 grid-cols-1 {"xl:grid-cols-2" if count > 1 else ""}')
                add.set_enabled(not full)
                stack.set_enabled(not full)

            add_pane(container if container in container_names(system.observer) else '')
