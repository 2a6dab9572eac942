"""Operations: The allowlisted operation catalog, with forms, confirmation and live progress."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame


def register(system: System) -> None:
    @ui.page('/operations', title='Operations · Homelab')
    def operations_page() -> None:
        with frame('Operations', system.manager):
            ui.label('The allowlisted operation catalog, with forms, confirmation and live progress.')
            ui.label('Not available in this version yet.').classes('text-sm opacity-70')
