"""Maintenance: update candidates for pinned tags, services pinned by a rollback, and housekeeping with a preview."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.actor import current_actor
from components.frame import frame
from components.housekeeping import housekeeping
from components.rollback_pins import rollback_pins
from components.update_candidates import update_candidates


def register(system: System) -> None:
    @ui.page('/maintenance', title='Maintenance · Homelab')
    async def maintenance_page() -> None:
        with frame('Maintenance', system.manager):
            await MaintenancePage(system).start()


class MaintenancePage:
    """One section per kind of upkeep; each section is its own component."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.candidates = update_candidates(system.update_candidates, current_actor())
        self.pins = rollback_pins(system.manager, actor=current_actor())
        self.housekeeping = housekeeping(system.manager, system.adapters)

    async def start(self) -> None:
        await self.candidates.start()
        await self.pins.load()
        await self.housekeeping.load()
