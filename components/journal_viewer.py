"""A journal viewer for the allowlisted units: every read is a `host_journal` run, so it is audited."""

from __future__ import annotations

from nicegui import ui

from components.actor import current_actor
from ops.manager import Manager

LINE_CHOICES = (50, 200, 1000)


class journal_viewer(ui.column):
    """Pick a unit and a number of lines; the entries are shown as text (never HTML)."""

    def __init__(self, manager: Manager, units: list[str]) -> None:
        super().__init__()
        self.manager = manager
        self.classes('w-full gap-2').props('data-testid=journal-viewer')
        with self:
            if not units:
                ui.label('No journal units configured ([journal] units in the config).').classes('text-sm opacity-70')
                return
            with ui.row().classes('w-full items-center gap-2'):
                self.unit = (
                    ui.select(units, value=units[0], label='Unit')
                    .classes('min-w-56 grow')
                    .props('dense outlined data-testid=journal-unit')
                )
                self.lines = ui.select(list(LINE_CHOICES), value=LINE_CHOICES[1], label='Lines').classes('w-28')
                self.lines.props('dense outlined')
                self.button = ui.button('Show', icon='receipt_long', on_click=self.load).props(
                    'data-testid=journal-show'
                )
            self.status = ui.label().classes('text-sm opacity-80')
            self.log = ui.log(max_lines=max(LINE_CHOICES)).classes('w-full h-80 text-xs')
            self.log.props('data-testid=journal-log')

    async def load(self) -> None:
        """Run host_journal through the manager and show its entries (or why it failed)."""
        self.button.disable()
        self.status.set_text('Reading the journal…')
        try:
            handle = await self.manager.submit(
                'host_journal',
                {'unit': self.unit.value, 'lines': self.lines.value},
                actor=current_actor(),
                origin='ui',
            )
            outcome = await handle.outcome()
        finally:
            self.button.enable()
        self.log.clear()
        if not outcome.succeeded or outcome.result is None:
            self.status.set_text(f'Run #{outcome.run_id} {outcome.state}: {outcome.error or "no result"}')
            return
        entries = outcome.result.get('entries') or []
        for entry in entries:
            self.log.push(f'{entry.get("time") or "?"} {entry.get("identifier") or ""}: {entry.get("message")}')
        notes = '; '.join(str(note) for note in outcome.result.get('notes') or [])
        self.status.set_text(f'Run #{outcome.run_id}: {len(entries)} entries' + (f' ({notes})' if notes else ''))
