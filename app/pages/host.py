"""Host: Disk, load, journal, upgrades and reboot signals of the host."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.frame import frame


def register(system: System) -> None:
    @ui.page('/host', title='Host · Homelab')
    def host_page() -> None:
        with frame('Host', system.manager):
            ui.label('Disk, load, journal, upgrades and reboot signals of the host.')
            ui.label('Not available in this version yet.').classes('text-sm opacity-70')
