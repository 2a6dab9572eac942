"""The Maintenance page's "Pinned by rollback" section: each service held on an earlier image, with Release pin."""

from __future__ import annotations

from nicegui import ui

from components.listen import listen
from components.maintenance_run import confirm_and_run
from ops.clock import age_text
from ops.maintenance.pins import active_pins, stale_pins
from ops.maintenance.records import RollbackPin
from ops.manager import Manager
from ops.runs import RunUpdate

_PIN_OPERATIONS = ('stack_rollback', 'stack_pin_release')


class rollback_pins(ui.card):
    """Active pins, live: a rollback or a release (from here, an action or the CLI) redraws the list."""

    def __init__(self, manager: Manager, *, actor: str) -> None:
        super().__init__()
        self.manager = manager
        self.actor = actor
        self.classes('w-full gap-2').props('flat bordered id=rollback-pins data-testid=rollback-pins')
        with self:
            with ui.row().classes('w-full items-center gap-2'):
                ui.icon('push_pin', color='deep-orange-10')
                ui.label('Pinned by rollback').classes('text-lg font-semibold')
            ui.label(
                'A rolled-back service runs an earlier image by digest, set by an override file in the data directory '
                '(never the repository). While pinned, no update of it is proposed; releasing the pin lets its stack '
                'files decide again, and the update is proposed again.'
            ).classes('text-sm opacity-80')
            self.rows = ui.column().classes('w-full gap-0')
        listen(manager.run_changed, self._run_changed, owner=self)

    async def load(self) -> None:
        """Read the active pins and draw them."""
        pins = await active_pins()
        stale = await stale_pins(self.manager.adapters, pins)
        if self.is_deleted:
            return
        self.rows.clear()
        with self.rows:
            if not pins:
                ui.label('Nothing is pinned.').classes('text-sm opacity-70').props('data-testid=no-pins')
            for pin in pins:
                self._row(pin, stale=(pin.stack, pin.service) in stale)

    def _row(self, pin: RollbackPin, *, stale: bool) -> None:
        with ui.row().classes('w-full items-center gap-x-3 gap-y-1 py-2 border-t border-gray-500/20 no-wrap'):
            with ui.column().classes('gap-0 grow min-w-0').props(f'data-pin={pin.stack}/{pin.service}'):
                ui.label(f'{pin.stack} / {pin.service}').classes('text-sm font-semibold font-mono break-all')
                ui.label(f'runs {pin.digest}').classes('text-xs font-mono break-all')
                if stale:
                    ui.label('its service is no longer in the files: the pin is left out of the override').classes(
                        'text-xs text-warning [overflow-wrap:anywhere]'
                    ).props(f'data-testid=stale-pin-{pin.stack}-{pin.service}')
                elif pin.image:
                    ui.label(f'its files name {pin.image}').classes('text-xs opacity-70 [overflow-wrap:anywhere]')
                known = f' · known-good state #{pin.known_good_id}' if pin.known_good_id else ''
                ui.label(f'pinned by {pin.pinned_by} {age_text(pin.pinned_at)} ago{known}').classes(
                    'text-xs opacity-70 [overflow-wrap:anywhere]'
                )
            button = ui.button('Release pin', icon='lock_open', on_click=lambda p=pin: self._release(p))
            button.props('outline no-caps dense color=warning').mark(f'release-{pin.stack}-{pin.service}')

    async def _release(self, pin: RollbackPin) -> None:
        await confirm_and_run(
            self.manager,
            'stack_pin_release',
            {'stack': pin.stack, 'service': pin.service},
            title=f'Release the pin of {pin.stack} / {pin.service}?',
            actor=self.actor,
        )

    async def _run_changed(self, update: RunUpdate) -> None:
        if update.operation in _PIN_OPERATIONS and update.state.finished:
            await self.load()
