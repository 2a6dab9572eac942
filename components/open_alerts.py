"""The open alerts, worst first, live from the keeper's changes and the sender's deliveries; Acknowledge and
Snooze act for the person signed in (audited by the keeper)."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui

from components.alert_card import alert_card
from components.coalesced import Coalesced
from components.listen import listen
from components.ticker import every
from ops.alerts.history import deliveries_of
from ops.alerts.keeper import AlertChange, AlertKeeper, AlertProblem
from ops.clock import utc_now
from ops.notify.sender import Sender, Settled
from ops.store.audit import AuditUnavailable


class open_alerts(ui.column):
    """One card per open alert; any change of an alert (or a message's delivery) redraws the list."""

    def __init__(self, keeper: AlertKeeper, sender: Sender, actor: str) -> None:
        super().__init__()
        self.keeper = keeper
        self.actor = actor
        self.cards: dict[int, alert_card] = {}
        self._refresh = Coalesced(self._load, name='open-alerts')
        self.classes('w-full gap-3 min-w-0').props('data-testid=open-alerts')
        with self:
            self.empty = ui.label('No open alerts: everything watched is as it should be.').classes(
                'text-sm opacity-70'
            )
        listen(keeper.changed, self._changed, owner=self)
        listen(sender.settled, self._settled, owner=self)
        every(60, self.tick)

    async def start(self) -> None:
        await self._refresh.run()

    def reload(self) -> None:
        self._refresh.request()

    def tick(self) -> None:
        for card in self.cards.values():
            card.tick()

    async def acknowledge(self, alert_id: int) -> None:
        try:
            await self.keeper.acknowledge(alert_id, actor=self.actor, origin='ui')
        except AlertProblem as err:
            ui.notify(f'Not acknowledged: {err}.', type='warning')
        except AuditUnavailable as err:
            ui.notify(f'Not acknowledged: the audit trail cannot be written ({err}).', type='negative')
        else:
            ui.notify(f'Acknowledged as {self.actor}.', type='positive')

    async def snooze(self, alert_id: int, span: timedelta) -> None:
        try:
            await self.keeper.snooze(alert_id, until=utc_now() + span, actor=self.actor, origin='ui')
        except AlertProblem as err:
            ui.notify(f'Not snoozed: {err}.', type='warning')
        except AuditUnavailable as err:
            ui.notify(f'Not snoozed: the audit trail cannot be written ({err}).', type='negative')
        else:
            ui.notify(f'Snoozed for {_span_words(span)}: no messages about it till then.', type='positive')

    def _changed(self, change: AlertChange) -> None:
        self.reload()

    def _settled(self, settled: Settled) -> None:
        if self.cards:
            self.reload()

    async def _load(self) -> None:
        alerts = self.keeper.open_alerts()
        deliveries = await deliveries_of(alert.id for alert in alerts)
        if self.is_deleted:
            return
        for alert_id in [i for i in self.cards if i not in {a.id for a in alerts}]:
            self.cards.pop(alert_id).delete()
        for index, alert in enumerate(alerts):
            card = self.cards.get(alert.id)
            if card is None:
                with self:
                    card = self.cards[alert.id] = alert_card(
                        alert, on_acknowledge=self.acknowledge, on_snooze=self.snooze
                    )
            card.show(alert, deliveries.get(alert.id, []))
            card.move(self, target_index=index + 1)  # after the "no open alerts" line
        self.empty.set_visibility(not alerts)


def _span_words(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    if hours % 24 == 0:
        days = hours // 24
        return f'{days} day{"" if days == 1 else "s"}'
    return f'{hours} hour{"" if hours == 1 else "s"}'
