"""Container: One container: inspect summary, allowed operations and its live log."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame


def register(system: System) -> None:
    @ui.page('/containers/{name}', title='Container · Homelab')
    def container_page(name: str) -> None:
        with frame('Container', system.manager):
            ui.label('One container: inspect summary, allowed operations and its live log.')
            ui.label('Not available in this version yet.').classes('text-sm opacity-70')
