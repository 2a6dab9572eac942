"""A banner that says plainly when the Docker engine cannot be reached, and disappears when it returns."""

from __future__ import annotations

from nicegui import ui

from components.listen import listen
from ops.world.observer import EngineState, Observer


class engine_banner(ui.element):
    """Visible only while the engine is unreachable; follows the observer's engine events."""

    def __init__(self, observer: Observer) -> None:
        super().__init__()
        self.classes('w-full')
        card_classes = 'w-full bg-red-50 dark:bg-red-950 border-l-4 border-red-7'
        with self, ui.card().classes(card_classes).props('flat'), ui.row().classes('items-center gap-3 no-wrap'):
            ui.icon('cloud_off', color='negative', size='md')
            with ui.column().classes('gap-0'):
                title = ui.label('Docker engine unreachable').classes('text-base font-semibold')
                title.props('data-testid=engine-unreachable')
                self.reason = ui.label().classes('text-sm opacity-80')
                ui.label('Retrying by itself; the console keeps working.').classes('text-sm opacity-80')
        self.show(observer.engine_state)
        listen(observer.engine_changed, self.show, owner=self)

    def show(self, state: EngineState) -> None:
        self.set_visibility(state.reachable is False)
        self.reason.set_text(state.error)
