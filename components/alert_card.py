"""One open alert as a card: what, about what, since when, its evidence and messages, who is on it, and the
Acknowledge and Snooze buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

from nicegui import ui

from components.alert_facts import delivery_rows, evidence_rows, severity_badge
from components.run_table import local_time
from ops.alerts.history import Delivery
from ops.alerts.records import Alert
from ops.alerts.rules import DEFAULTS, Rule
from ops.clock import age_text, utc_now

SNOOZES = {
    '1h': ('1 hour', timedelta(hours=1)),
    '8h': ('8 hours', timedelta(hours=8)),
    '1d': ('1 day', timedelta(days=1)),
}
MOST_HOURS = 24 * 30  # a custom snooze: at most 30 days
CONTAINER_RULES = (Rule.CONTAINER_EXITED, Rule.CRASH_LOOP, Rule.OOM_KILLED, Rule.CONTAINER_UNHEALTHY)

Acknowledge = Callable[[int], Awaitable[None]]
Snooze = Callable[[int, timedelta], Awaitable[None]]


class alert_card(ui.card):
    """Rebuilt by show() whenever the alert or its messages change; tick() moves its age on."""

    def __init__(self, alert: Alert, *, on_acknowledge: Acknowledge, on_snooze: Snooze) -> None:
        super().__init__()
        self.alert = alert
        self.on_acknowledge = on_acknowledge
        self.on_snooze = on_snooze
        self.classes('w-full gap-2 min-w-0').props('flat bordered')
        self.props['data-alert'] = str(alert.id)
        self.since: ui.label | None = None
        self._shown: tuple[object, ...] | None = None

    def show(self, alert: Alert, deliveries: Sequence[Delivery]) -> None:
        """Draw the card again, if anything it shows differs (an open Snooze menu stays open otherwise)."""
        self.alert = alert
        shown = (alert.summary, repr(alert.evidence), alert.acknowledged_by, alert.snoozed_until, tuple(deliveries))
        if shown == self._shown:
            return
        self._shown = shown
        self.clear()
        with self:
            with ui.row().classes('w-full items-center gap-2 min-w-0'):
                severity_badge(alert.severity)
                ui.label(DEFAULTS[alert.rule].label).classes('text-base font-semibold')
                ui.label(alert.target).classes('font-mono text-sm break-all min-w-0').props('data-field=target')
                ui.space()
                self.since = ui.label().classes('text-sm opacity-70').tooltip(f'Opened {local_time(alert.opened_at)}')
            ui.label(alert.summary).classes('text-sm break-words w-full').props('data-field=summary')
            if alert.rule in CONTAINER_RULES:
                ui.link('Open the container page', f'/containers/{quote(alert.target, safe="")}').classes(
                    'text-sm'
                ).props('data-field=container-link')
            if any(value not in (None, '', [], {}) for value in alert.evidence.values()):
                evidence_rows(alert.evidence)
            with ui.row().classes('w-full items-center gap-x-4 gap-y-1 text-sm'):
                if alert.acknowledged_by:
                    with ui.row().classes('items-center gap-1').props('data-field=acknowledged'):
                        ui.icon('done', size='xs', color='info')
                        ui.label(f'Acknowledged by {alert.acknowledged_by} {_when(alert.acknowledged_at)}')
                if alert.snoozed_until is not None and alert.snoozed_until > utc_now():
                    with ui.row().classes('items-center gap-1').props('data-field=snoozed'):
                        ui.icon('snooze', size='xs')
                        by = f' by {alert.snoozed_by}' if alert.snoozed_by else ''
                        ui.label(f'Snoozed until {local_time(alert.snoozed_until)}{by}: no messages till then')
            delivery_rows(deliveries)
            with ui.row().classes('w-full gap-2 justify-end'):
                self._buttons(alert)
        self.tick()

    def tick(self, now: datetime | None = None) -> None:
        if self.since is not None:
            self.since.set_text(f'for {age_text(self.alert.opened_at, now)}')

    def _buttons(self, alert: Alert) -> None:
        ack = ui.button('Acknowledge', icon='done', on_click=lambda: self.on_acknowledge(alert.id))
        ack.props(f'outline dense no-caps data-testid=acknowledge-{alert.id}').mark(f'acknowledge-{alert.id}')
        ack.tooltip('Say you are on it (recorded in the audit trail); it stays open until its condition clears')
        ack.set_enabled(not alert.acknowledged_by)
        snooze = ui.button('Snooze', icon='snooze').props(f'outline dense no-caps data-testid=snooze-{alert.id}')
        with snooze.mark(f'snooze-{alert.id}'), ui.menu():
            for key, (words, span) in SNOOZES.items():
                item = ui.menu_item(words, on_click=lambda s=span: self.on_snooze(alert.id, s))
                item.mark(f'snooze-{alert.id}-{key}').props(f'data-testid=snooze-{alert.id}-{key}')
            ui.menu_item('Other…', on_click=lambda: self._ask_hours(alert)).mark(f'snooze-{alert.id}-other')

    async def _ask_hours(self, alert: Alert) -> None:
        """A snooze of any number of hours (up to 30 days)."""
        # The dialog belongs to the list, not to this card, which is rebuilt whenever the alert changes.
        owner = self.parent_slot.parent if self.parent_slot is not None else self
        with owner, ui.dialog() as dialog, ui.card().classes('w-80 max-w-full gap-3'):
            ui.label(f'Snooze: {DEFAULTS[alert.rule].label}').classes('text-base font-semibold')
            hours = ui.number('Hours', value=4, min=1, max=MOST_HOURS, precision=0).classes('w-full')
            hours.mark(f'snooze-{alert.id}-hours')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
                ui.button('Snooze', icon='snooze', on_click=lambda: dialog.submit(hours.value)).props(
                    'no-caps color=primary'
                ).mark(f'snooze-{alert.id}-confirm')
        try:
            answer = await dialog
        finally:
            dialog.delete()
        if isinstance(answer, int | float) and 1 <= answer <= MOST_HOURS:
            await self.on_snooze(alert.id, timedelta(hours=int(answer)))


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ''
    return 'just now' if (utc_now() - moment).total_seconds() < 60 else f'{age_text(moment)} ago'
