"""One module per page; register_pages() wires them all to a System."""

from __future__ import annotations

from app.pages import actions, alerts, audit, container, host, login, logs, maintenance, operations, overview, runs
from app.system import System


def register_pages(system: System) -> None:
    login.register(system)
    for page in (overview, container, logs, operations, runs, audit, host, actions, alerts, maintenance):
        page.register(system)
