"""Actions: how each stack differs from its files, the proposed actions to approve or reject (with their
plan, and their run live once approved), the maintenance window and what waits for it, and the decided ones.
Live through the queue's, the supervisor's, the window watch's and the scheduler's events; nothing polls."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.action_board import action_board
from components.action_history import action_history
from components.actor import current_actor
from components.frame import frame
from components.listen import listen
from components.maintenance_window import maintenance_window
from components.stack_drift import drift_board
from components.ticker import every
from ops.world.actions import ActionUpdate


def register(system: System) -> None:
    @ui.page('/actions', title='Actions · Homelab')
    async def actions_page() -> None:
        with frame('Actions', system.manager):
            await ActionsPage(system).start()


class ActionsPage:
    """Drift on top, then the actions to decide (and under way), then the history."""

    def __init__(self, system: System) -> None:
        actor = current_actor()
        with ui.element().classes('w-full grid grid-cols-1 xl:grid-cols-5 gap-4 items-start'):
            with ui.column().classes('w-full gap-4 min-w-0 xl:col-span-3'):
                self.board = action_board(system.actions, system.manager, actor)
            with ui.column().classes('w-full gap-2 min-w-0 xl:col-span-2'):
                ui.label('Maintenance window').classes('text-lg font-semibold')
                self.window = maintenance_window(
                    system.window_watch,
                    system.auto_approval,
                    system.scheduler,
                    system.actions,
                    on_waiting=self.board.show_waiting,
                )
                ui.label('Stacks and their files').classes('text-lg font-semibold')
                with ui.card().classes('w-full p-0 pt-2 gap-0').props('flat bordered'):
                    self.drift = drift_board(system.supervisor, list(system.config.stacks))
        ui.label('History').classes('text-lg font-semibold')
        self.history = action_history()
        listen(system.actions.changed, self.changed)
        every(60, self.board.tick)
        every(60, self.window.tick)

    async def start(self) -> None:
        await self.board.start()
        await self.window.start()
        await self.history.load()

    def changed(self, update: ActionUpdate) -> None:
        self.board.changed(update)
        if not update.state.open:
            self.history.reload()
