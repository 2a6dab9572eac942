"""The Overview's open alerts: one compact line each (severity, rule, target, since), linking to the Alerts page;
hidden while nothing is open. Live from the keeper's changes."""

from __future__ import annotations

from nicegui import ui

from components.alert_facts import severity_badge
from components.listen import listen
from components.ticker import every
from ops.alerts.keeper import AlertChange, AlertKeeper
from ops.alerts.rules import DEFAULTS
from ops.clock import age_text

SHOWN = 5  # lines before "and n more"


class alert_banner(ui.card):
    """Redrawn whenever an alert opens, changes or resolves (the keeper holds the open ones in memory)."""

    def __init__(self, keeper: AlertKeeper) -> None:
        super().__init__()
        self.keeper = keeper
        self.classes('w-full gap-1 py-2 border-l-4 border-orange-7 bg-orange-50 dark:bg-neutral-800').props(
            'flat data-testid=alert-banner'
        )
        self.show()
        listen(keeper.changed, self._changed, owner=self)
        every(60, self.show)

    def _changed(self, change: AlertChange) -> None:
        self.show()

    def show(self) -> None:
        alerts = self.keeper.open_alerts()
        self.set_visibility(bool(alerts))
        self.clear()
        with self:
            with ui.link(target='/alerts').classes('no-underline text-inherit flex items-center gap-2'):
                ui.icon('notifications_active', color='deep-orange-8')
                count = len(alerts)
                ui.label(f'{count} open alert{"" if count == 1 else "s"}').classes('text-base font-semibold')
                ui.label('see Alerts').classes('text-sm text-primary')
            for alert in alerts[:SHOWN]:
                with (
                    ui.row().classes('w-full items-center gap-x-2 gap-y-0 min-w-0').props(f'data-open-alert={alert.id}')
                ):
                    severity_badge(alert.severity)
                    ui.label(DEFAULTS[alert.rule].label).classes('text-sm font-medium')
                    ui.label(alert.target).classes('text-sm font-mono break-all min-w-0')
                    ui.label(f'for {age_text(alert.opened_at)}').classes('text-xs opacity-70')
                    if alert.acknowledged_by:
                        ui.label(f'acknowledged by {alert.acknowledged_by}').classes('text-xs opacity-70')
            if len(alerts) > SHOWN:
                ui.label(f'and {len(alerts) - SHOWN} more').classes('text-sm opacity-70')
