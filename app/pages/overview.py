"""Overview: every container the engine runs, live."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.container_table import container_table
from components.engine_banner import engine_banner
from components.frame import frame


def register(system: System) -> None:
    @ui.page('/', title='Overview · Homelab')
    def overview_page() -> None:
        with frame('Overview', system.manager):
            engine_banner(system.observer)
            with ui.card().classes('w-full p-0'):
                with ui.row().classes('w-full items-center px-4 pt-3'):
                    ui.label('Containers').classes('text-lg font-semibold')
                container_table(system.observer)
