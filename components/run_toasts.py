"""A toast for every run that ends while the person is elsewhere in the console."""

from __future__ import annotations

from typing import Literal

from nicegui import ui

from components.listen import listen
from components.state_looks import run_look
from ops.manager import Manager
from ops.runs import RunState, RunUpdate


def run_toasts(manager: Manager) -> None:
    """Toast each run that ends while this page is open (name, state and the reason when it did not succeed)."""

    def on_change(update: RunUpdate) -> None:
        if not update.state.finished:
            return
        label = manager.registry.label_of(update.operation)
        message = f'#{update.run_id} {label} {run_look(update.state).label}'
        if update.error and update.state is not RunState.SUCCEEDED:
            message += f': {_clip(update.error, 200)}'
        ui.notify(message, type=_toast_type(update.state), position='bottom-right')

    listen(manager.run_changed, on_change)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + '…'


def _toast_type(state: RunState) -> Literal['positive', 'negative', 'warning']:
    if state is RunState.SUCCEEDED:
        return 'positive'
    return 'warning' if state in {RunState.CANCELLED, RunState.INTERRUPTED} else 'negative'
