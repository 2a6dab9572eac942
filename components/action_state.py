"""An action's state as a badge (its look: state_looks.py)."""

from __future__ import annotations

from nicegui import ui

from components.state_looks import action_look
from ops.world.action_states import ActionState


class action_state_badge(ui.badge):
    """An action's state as a coloured badge; `show` changes it."""

    def __init__(self, action_id: int, state: ActionState) -> None:
        super().__init__()
        self.action_id = action_id
        self.show(state)

    def show(self, state: ActionState) -> None:
        """Switch to another state."""
        look = action_look(state)
        self.set_text(look.label)
        self.props(f'color={look.color} text-color={look.text_color}')
        self.props['data-action-state'] = f'{self.action_id}:{state.value}'
