"""Who acts from a page: the signed-in person, named the same way on every run, action and audit event."""

from __future__ import annotations

from nicegui import app


def current_actor() -> str:
    """`ui:<user name>` of this page's session (what the sign-in's own audit events name too)."""
    return f'ui:{app.storage.user.get("username", "unknown")}'
