"""The Runs and Audit pages in NiceGUI's simulated user: the rows their tables show, a filter's field."""

from __future__ import annotations

from typing import Any

from nicegui import ui
from nicegui.testing import User

from components.audit_table import audit_table
from components.run_table import run_table


def events_shown(user: User) -> list[dict[str, Any]]:
    try:
        tables = user.find(audit_table).elements
    except AssertionError:
        return []
    return [row for table in tables for row in table.rows]


def runs_shown(user: User) -> list[dict[str, Any]]:
    try:
        tables = user.find(run_table).elements
    except AssertionError:
        return []
    return [row for table in tables for row in table.rows]


def filter_field(user: User, name: str) -> Any:
    return next(e for e in user.find(ui.select).elements if e.props.get('data-filter') == name)
