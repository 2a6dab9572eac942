"""Runs: History of every operation run, with its output."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame


def register(system: System) -> None:
    @ui.page('/runs', title='Runs · Homelab')
    def runs_page() -> None:
        with frame('Runs', system.manager):
            ui.label('History of every operation run, with its output.')
            ui.label('Not available in this version yet.').classes('text-sm opacity-70')
