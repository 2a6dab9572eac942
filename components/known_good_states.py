"""The container page's "Known-good states": what recreates of its service replaced, each with "Roll back to this"."""

from __future__ import annotations

from nicegui import ui

from components.listen import listen
from components.maintenance_run import confirm_and_run
from ops.clock import age_text
from ops.maintenance.known_good import known_good
from ops.maintenance.pins import active_pin
from ops.maintenance.records import KnownGood
from ops.maintenance.rollback_proposal import short_digest
from ops.manager import Manager
from ops.runs import RunUpdate

_PIN_OPERATIONS = ('stack_rollback', 'stack_pin_release', 'stack_service_up', 'docker_up_all')


class known_good_states(ui.card):
    """The service's last `limit` known-good states, newest first; the one it is pinned to says so."""

    def __init__(self, manager: Manager, stack: str, service: str, *, limit: int, actor: str) -> None:
        super().__init__()
        self.manager = manager
        self.stack = stack
        self.service = service
        self.limit = limit
        self.actor = actor
        self.classes('w-full gap-1 p-2').props('flat bordered data-testid=known-good')
        with self:
            with ui.row().classes('w-full items-center gap-2 px-1'):
                ui.label('Known-good states').classes('font-semibold')
                ui.label(f'what recreates of {service} replaced while it ran well (last {limit})').classes(
                    'text-xs opacity-70'
                )
            self.rows = ui.column().classes('w-full gap-0')
        listen(manager.run_changed, self._run_changed, owner=self)

    async def load(self) -> None:
        """Read the states and the service's pin, and draw them."""
        states = await known_good(self.stack, self.service, limit=self.limit)
        pin = await active_pin(self.stack, self.service)
        if self.is_deleted:
            return
        self.rows.clear()
        with self.rows:
            if not states:
                ui.label('None yet: a state is kept each time the console recreates this service.').classes(
                    'text-sm opacity-70 px-1'
                )
            for state in states:
                self._row(state, pinned=pin is not None and pin.known_good_id == state.id)

    def _row(self, state: KnownGood, *, pinned: bool) -> None:
        with ui.row().classes('w-full items-center gap-x-3 gap-y-1 px-1 py-1 border-t border-gray-500/20'):
            with ui.column().classes('gap-0 grow min-w-0').props(f'data-known-good={state.id}'):
                ui.label(state.digest).classes('text-xs font-mono break-all')
                run = f' by run #{state.run_id}' if state.run_id else ''
                ui.label(
                    f'replaced {age_text(state.recorded_at)} ago{run} · {state.image} · config {state.config_hash[:12]}'
                ).classes('text-xs opacity-70 [overflow-wrap:anywhere]')
            if pinned:
                ui.badge('pinned to this', color='deep-orange-10').props('data-testid=pinned-here')
            else:
                button = ui.button('Roll back to this', icon='history', on_click=lambda s=state: self._roll_back(s))
                button.props('outline no-caps dense color=warning').mark(f'roll-back-{state.id}')

    async def _roll_back(self, state: KnownGood) -> None:
        await confirm_and_run(
            self.manager,
            'stack_rollback',
            {'stack': self.stack, 'service': self.service, 'known_good': state.id},
            title=f'Roll back {self.stack} / {self.service} to {short_digest(state.digest)}?',
            actor=self.actor,
        )

    async def _run_changed(self, update: RunUpdate) -> None:
        if update.operation in _PIN_OPERATIONS and update.state.finished:
            await self.load()
