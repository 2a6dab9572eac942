"""The Runs and Audit pages in NiceGUI's simulated user: the rows their tables show, a filter's field."""

from __future__ import annotations

from typing import Any, cast

from nicegui import ui
from nicegui.testing import User

from components.audit_table import audit_table
from components.run_table import run_table


def events_shown(user: User) -> list[dict[str, Any]]:
    return _rows(user, audit_table)


def runs_shown(user: User) -> list[dict[str, Any]]:
    return _rows(user, run_table)


def _rows(user: User, kind: type[ui.table]) -> list[dict[str, Any]]:
    """The rows every table of this kind on the page shows (none while there is no such table yet)."""
    try:
        tables = user.find(kind).elements
    except AssertionError:
        return []
    return [row for table in tables for row in cast(ui.table, table).rows]


def filter_field(user: User, name: str) -> Any:
    return next(e for e in user.find(ui.select).elements if e.props.get('data-filter') == name)
