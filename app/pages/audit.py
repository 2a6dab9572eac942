"""Audit: The tamper-evident audit trail."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame


def register(system: System) -> None:
    @ui.page('/audit', title='Audit · Homelab')
    def audit_page() -> None:
        with frame('Audit', system.manager):
            ui.label('The tamper-evident audit trail.')
            ui.label('Not available in this version yet.').classes('text-sm opacity-70')
