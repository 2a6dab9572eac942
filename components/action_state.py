"""Colours and a badge for an action's state (pending, approved, running, done, failed, rejected, superseded)."""

from __future__ import annotations

from nicegui import ui

ACTION_COLORS = {
    'pending': 'warning',
    'approved': 'info',
    'running': 'info',
    'done': 'positive',
    'failed': 'negative',
    'rejected': 'deep-orange-8',
    'superseded': 'grey-7',
}
DECIDED = ('done', 'failed', 'rejected', 'superseded')  # the states that end an action: its history


def action_color(state: str) -> str:
    """The Quasar colour of an action state."""
    return ACTION_COLORS.get(state, 'grey-7')


class action_state_badge(ui.badge):
    """An action's state as a coloured badge; `show` changes it."""

    def __init__(self, action_id: int, state: str) -> None:
        super().__init__()
        self.action_id = action_id
        self.show(state)

    def show(self, state: str) -> None:
        """Switch to another state (black text on the yellow of `pending`, for contrast)."""
        self.set_text(state)
        self.props(f'color={action_color(state)} text-color={"black" if state == "pending" else "white"}')
        self.props['data-action-state'] = f'{self.action_id}:{state}'
