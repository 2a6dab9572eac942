"""The host signal strip: one coloured chip per host signal (disk, reboot, upgrades, backup, probes)."""

from __future__ import annotations

from nicegui import ui

from components.badges import level_color
from components.listen import listen
from ops.host.host_report import HostReport
from ops.host.signals import HostSignals

ICONS = {'disk': 'storage', 'reboot': 'restart_alt', 'upgrades': 'system_update', 'backup': 'backup'}
PROBE_ICON = 'network_check'


class signal_strip(ui.row):
    """Follows the host signal watcher; every chip leads to the Host page."""

    def __init__(self, signals: HostSignals) -> None:
        super().__init__(wrap=True)
        self.classes('w-full items-center gap-1').props('data-testid=signal-strip')
        self.show(signals.report)
        listen(signals.changed, self.show, owner=self)

    def show(self, report: HostReport) -> None:
        """Replace the chips with the report's signals (a few times an hour at most)."""
        self.clear()
        with self:
            if report.at is None:
                ui.chip('Reading host signals…', icon='hourglass_empty', color='grey-7', text_color='white').props(
                    'dense'
                )
                return
            for signal in report.signals:
                icon = ICONS.get(signal.key, PROBE_ICON)
                chip = ui.chip(
                    signal.text,
                    icon=icon,
                    color=level_color(signal.level),
                    text_color='white',
                    on_click=lambda: ui.navigate.to('/host'),
                ).props('dense clickable')
                chip.props['data-signal'] = f'{signal.key}:{signal.level}'
                chip.tooltip(signal.detail)
