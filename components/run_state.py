"""Colours, words and a badge for a run's state, shared by the run view, tables and toasts."""

from __future__ import annotations

from nicegui import ui

from ops.runs import RunState

STATE_COLORS = {
    'pending': 'grey-7',
    'running': 'info',
    'succeeded': 'positive',
    'failed': 'negative',
    'timed_out': 'negative',
    'cancelled': 'warning',
    'rejected': 'deep-orange-8',
    'interrupted': 'warning',
}
STATE_WORDS = {'timed_out': 'timed out'}


def state_color(state: str) -> str:
    """The Quasar colour of a run state."""
    return STATE_COLORS.get(state, 'grey-7')


def state_words(state: str) -> str:
    """A run state as a person says it ('timed out', not 'timed_out')."""
    return STATE_WORDS.get(state, state)


def is_finished(state: str) -> bool:
    """Whether a run in this state has ended."""
    return state not in {RunState.PENDING.value, RunState.RUNNING.value}


class run_state_badge(ui.badge):
    """The state of a run as a coloured badge; `show` changes it."""

    def __init__(self, state: str) -> None:
        super().__init__()
        self.props('data-testid=run-state')
        self.show(state)

    def show(self, state: str) -> None:
        """Switch to another state."""
        self.set_text(state_words(state))
        self.props(f'color={state_color(state)} data-state={state}')
