"""One module per page; register_pages() wires them all to a System."""

from __future__ import annotations

from app.pages import login, overview, planned
from app.system import System


def register_pages(system: System) -> None:
    login.register(system)
    overview.register(system)
    planned.register(system)
