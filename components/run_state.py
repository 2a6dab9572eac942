"""A run's state as a badge, for the run view and the run's page (its look: state_looks.py)."""

from __future__ import annotations

from nicegui import ui

from components.state_looks import run_look
from ops.runs import RunState


class run_state_badge(ui.badge):
    """The state of a run as a coloured badge; `show` changes it."""

    def __init__(self, state: RunState) -> None:
        super().__init__()
        self.props('data-testid=run-state')
        self.show(state)

    def show(self, state: RunState) -> None:
        """Switch to another state."""
        look = run_look(state)
        self.set_text(look.label)
        self.props(f'color={look.color} data-state={state.value}')
