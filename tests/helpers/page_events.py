"""Browser events sent the way NiceGUI's socket hands them over (`Client.handle_event`): what a script that keeps
a page open may send, now or after its session ended."""

from __future__ import annotations

from typing import Any

from nicegui import Client, ui


def socket_click(element: ui.element) -> dict[str, Any]:
    """The message a browser sends for a click on `element` (a script keeps it, and may send it again later)."""
    listener = next(listener for listener in element._event_listeners.values() if listener.type == 'click')
    return {'id': element.id, 'client_id': element.client.id, 'listener_id': listener.id, 'args': []}


def send(client: Client, msg: dict[str, Any]) -> None:
    """What nicegui.nicegui's socket handler does with it."""
    client.handle_event(dict(msg))
