"""Audit: the tamper-evident audit trail, filtered and paged, with its chain status and exports."""

from __future__ import annotations

from nicegui import run, ui

from app.system import System
from components.audit_table import audit_table
from components.chain_status import chain_status
from components.coalesced import Coalesced
from components.frame import frame
from components.history_filter import history_filter
from components.history_view import HistoryView
from components.listen import listen
from components.state_looks import AUDIT_LOOKS, labels
from ops.clock import utc_now
from ops.store.history import audit_csv, audit_for_export, audit_json
from ops.store.models import AuditEvent
from ops.store.queries import HistoryFilter, audit_page


def register(system: System) -> None:
    @ui.page('/audit', title='Audit · Homelab')
    async def audit_page_view() -> None:
        with frame('Audit', system.manager):
            await AuditPage(system).start()


class AuditPage(HistoryView):
    """Chain status on top, then filters, the events and the pager; new events appear without a reload."""

    def __init__(self, system: System) -> None:
        self.where = HistoryFilter()
        self.chain = chain_status(system.chain)
        with ui.card().classes('w-full gap-2'):
            with ui.row().classes('w-full items-center gap-1'):
                ui.label('Audit events').classes('text-base font-semibold')
                ui.space()
                ui.label('Export this filter:').classes('text-sm opacity-70')
                ui.button('CSV', icon='download', on_click=lambda: self.export('csv')).props(
                    'outline dense no-caps data-testid=export-csv'
                ).mark('export-csv').tooltip('Download the events of this filter as CSV')
                ui.button('JSON', icon='download', on_click=lambda: self.export('json')).props(
                    'outline dense no-caps data-testid=export-json'
                ).mark('export-json').tooltip('Download the events of this filter as JSON')
            history_filter(
                self.filter_changed,
                operations=system.manager.registry.names(),
                kinds=labels(AUDIT_LOOKS),
                with_run=True,
            )
            self.attach(audit_table(), audit_page)
        # A burst of events (an up over many stacks, a run of failed sign-ins) costs one or two reloads, not one each.
        self.live = Coalesced(self.pager.reload, name='audit-live')
        listen(system.audit.appended, self.appended)

    def appended(self, event: AuditEvent) -> None:
        """An event was written here (a run's, a sign-in's, an account change's): the newest page shows it."""
        self.chain.outdated()
        if self.pager.on_first_page:
            self.live.request()

    async def export(self, form: str) -> None:
        """Download the events of the current filter (newest first) as CSV or JSON."""
        events = await audit_for_export(self.where)
        stamp = utc_now().strftime('%Y%m%d-%H%M%S')
        # Formatting up to EXPORT_LIMIT events takes a moment: do it beside the event loop, not on it.
        as_text, media = (audit_csv, 'text/csv') if form == 'csv' else (audit_json, 'application/json')
        text = await run.io_bound(as_text, events) or ''
        ui.download.content(text.encode(), f'audit-{stamp}.{form}', media)
        ui.notify(f'Exported {len(events)} audit events as {form.upper()}')
