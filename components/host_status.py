"""The host's reboot flag with its packages, the last unattended-upgrades run and the network probe results."""

from __future__ import annotations

from nicegui import ui

from components.badges import level_color
from ops.clock import age_text
from ops.host.host_report import HostReport
from ops.host.network import ProbeResult

UPGRADE_WORDS = {
    'success': ('ok', 'Upgrades installed'),
    'nothing_to_upgrade': ('ok', 'Nothing to upgrade'),
    'errors': ('bad', 'Finished with errors'),
    'incomplete': ('warn', 'Did not finish'),
}


class reboot_panel(ui.column):
    """Whether a reboot is pending, since when, and the packages that asked (as plain text)."""

    def __init__(self) -> None:
        super().__init__()
        self.classes('w-full gap-1').props('data-testid=reboot-panel')

    def show(self, report: HostReport) -> None:
        """Render the report's reboot status."""
        self.clear()
        status = report.reboot
        with self:
            if status is None:
                ui.label('Not read yet.').classes('text-sm opacity-70')
            elif not status.required:
                ui.badge('No reboot needed', color='positive')
            else:
                since = f' for {age_text(status.since)}' if status.since else ''
                ui.badge(f'Reboot required{since}', color='warning')
                ui.label(f'{len(status.packages)} package(s) asked for it:').classes('text-sm')
                with ui.row().classes('gap-1'):
                    for name in status.packages:
                        ui.label(name).classes('font-mono text-xs px-1 rounded bg-gray-500/15').props(
                            'data-reboot-package'
                        )


class upgrades_panel(ui.column):
    """The last unattended-upgrades run: when, how it ended, which packages, which errors (plain text)."""

    def __init__(self) -> None:
        super().__init__()
        self.classes('w-full gap-1').props('data-testid=upgrades-panel')

    def show(self, report: HostReport) -> None:
        """Render the report's last upgrade run."""
        self.clear()
        run = report.upgrades.last_run if report.upgrades is not None else None
        with self:
            if run is None:
                ui.label('No unattended-upgrades run found in the logs.').classes('text-sm opacity-70')
                return
            level, words = UPGRADE_WORDS[run.result]
            with ui.row().classes('items-center gap-2'):
                ui.badge(words, color=level_color(level)).props(f'data-upgrades={run.result}')
                ui.label(f'{run.started_at.replace("T", " ")} to {run.finished_at[11:]} (host time)').classes(
                    'text-sm opacity-80'
                )
            if run.packages:
                ui.label(f'Upgraded: {", ".join(run.packages)}').classes('text-sm break-all')
            if run.auto_removed:
                ui.label(f'Removed: {", ".join(run.auto_removed)}').classes('text-sm break-all')
            for error in run.errors:
                ui.label(error).classes('text-sm text-negative break-all')
            if run.reboot_started:
                ui.label('The run started a reboot.').classes('text-sm')


class probe_list(ui.column):
    """One line per network probe: ok or down, latency, and what happened."""

    def __init__(self) -> None:
        super().__init__()
        self.classes('w-full gap-1').props('data-testid=probe-list')

    def show(self, results: list[ProbeResult], *, configured: int) -> None:
        """Render probe results (configured: how many probes the config names)."""
        self.clear()
        with self:
            if not configured:
                ui.label('No probes configured ([probes.<name>] in the config).').classes('text-sm opacity-70')
            for result in results:
                with ui.row().classes('w-full items-center gap-2 no-wrap'):
                    badge = ui.badge('ok' if result.ok else 'down', color='positive' if result.ok else 'negative')
                    badge.props['data-probe'] = f'{result.probe}:{"ok" if result.ok else "down"}'
                    ui.label(result.probe).classes('text-sm font-semibold')
                    latency = f'{result.latency_ms:.0f} ms · ' if result.latency_ms is not None else ''
                    ui.label(f'{latency}{result.kind} {result.target}: {result.detail}').classes(
                        'text-sm opacity-80 break-all'
                    )
