"""Pages whose content arrives with later work; each says so plainly instead of showing a dead end."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame

PLANNED = {
    '/logs': ('Logs', 'Live log panes for containers and whole stacks.'),
    '/operations': ('Operations', 'The allowlisted operation catalog, with forms, confirmation and live progress.'),
    '/runs': ('Runs', 'History of every operation run, with its output.'),
    '/audit': ('Audit', 'The tamper-evident audit trail.'),
    '/actions': ('Actions', 'Drift between the repository and the engine, as actions to approve.'),
    '/host': ('Host', 'Disk, load, journal, upgrades and reboot signals of the host.'),
}


def register(system: System) -> None:
    for path, (title, purpose) in PLANNED.items():
        _register_one(path, title, purpose)


def _register_one(path: str, title: str, purpose: str) -> None:
    @ui.page(path, title=f'{title} · Homelab')
    def planned_page() -> None:
        with frame(title), ui.card().classes('w-full'):
            ui.label(purpose).classes('text-base')
            ui.label('Not available in this version yet.').classes('text-sm opacity-70')
