"""Logs: Live log panes side by side, and a merged view of a whole stack."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame


def register(system: System) -> None:
    @ui.page('/logs', title='Logs · Homelab')
    def logs_page() -> None:
        with frame('Logs', system.manager):
            ui.label('Live log panes side by side, and a merged view of a whole stack.')
            ui.label('Not available in this version yet.').classes('text-sm opacity-70')
