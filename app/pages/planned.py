"""Pages whose content arrives with later work; each says so plainly instead of showing a dead end."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame

PLANNED = {
    '/actions': ('Actions', 'Drift between the repository and the engine, as actions to approve.'),
}


def register(system: System) -> None:
    for path, (title, purpose) in PLANNED.items():
        _register_one(system, path, title, purpose)


def _register_one(system: System, path: str, title: str, purpose: str) -> None:
    @ui.page(path, title=f'{title} · Homelab')
    def planned_page() -> None:
        with frame(title, system.manager), ui.card().classes('w-full'):
            ui.label(purpose).classes('text-base')
            ui.label('Not available in this version yet.').classes('text-sm opacity-70')
