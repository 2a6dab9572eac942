"""Alerts: the open ones to acknowledge or snooze, the notification channels with a test button, and the
history of every alert with what its messages did. Live through the keeper's and the sender's events."""

from __future__ import annotations

from nicegui import ui

from app.system import System
from components.actor import current_actor
from components.alert_history import alert_history
from components.channel_tests import channel_tests
from components.frame import frame
from components.listen import listen
from components.open_alerts import open_alerts
from ops.alerts.keeper import AlertChange
from ops.notify.sender import Settled


def register(system: System) -> None:
    @ui.page('/alerts', title='Alerts · Homelab')
    async def alerts_page() -> None:
        with frame('Alerts', system.manager):
            await AlertsPage(system).start()


class AlertsPage:
    """Open alerts and the channels side by side on wide screens, the history below."""

    def __init__(self, system: System) -> None:
        actor = current_actor()
        with ui.element().classes('w-full grid grid-cols-1 xl:grid-cols-3 gap-4 items-start'):
            with ui.column().classes('w-full gap-2 min-w-0 xl:col-span-2'):
                ui.label('Open').classes('text-lg font-semibold')
                self.open = open_alerts(system.alerts, system.notify_sender, actor)
            with ui.column().classes('w-full gap-2 min-w-0'):
                ui.label('Channels').classes('text-lg font-semibold')
                with ui.card().classes('w-full').props('flat bordered'):
                    channel_tests(system.config.notify, system.audit, actor)
        ui.label('History').classes('text-lg font-semibold')
        with ui.card().classes('w-full gap-2'):
            self.history = alert_history()
        listen(system.alerts.changed, self.changed)
        listen(system.notify_sender.settled, self.delivered)

    async def start(self) -> None:
        await self.open.start()
        await self.history.start()

    def changed(self, change: AlertChange) -> None:
        """A new alert shows on the newest page; a shown one changes where it is."""
        shown = any(row['id'] == change.alert_id for row in self.history.table.rows)
        if shown or self.history.pager.on_first_page:
            self.history.reload()

    def delivered(self, settled: Settled) -> None:
        if self.history.table.rows:
            self.history.reload()
