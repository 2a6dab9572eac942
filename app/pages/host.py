"""Host: disk use, CPU/memory/load trends, reboot and upgrade signals, probes, the containers using the most and
the journal of allowed units."""

from __future__ import annotations

from datetime import timedelta

from nicegui import background_tasks, ui

from app.system import System
from components.actor import current_actor
from components.charts import trend_chart
from components.disk_panel import disk_panel
from components.frame import frame
from components.host_status import probe_list, reboot_panel, upgrades_panel
from components.journal_viewer import journal_viewer
from components.listen import listen
from components.top_consumers import top_consumers
from ops.clock import utc_now
from ops.host.disk import docker_disk_usage, filesystems
from ops.host.host_report import HostReport
from ops.host.network import ProbeResult
from ops.host.samples import HostReading, readings_since

TREND_WINDOW = timedelta(hours=24)


def register(system: System) -> None:
    @ui.page('/host', title='Host · Homelab')
    def host_page() -> None:
        with frame('Host', system.manager):
            with ui.element().classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4 items-start'):
                with ui.column().classes('w-full gap-4 min-w-0'):
                    with _card('Disk', 'storage'):
                        disks = disk_panel()
                    with _card('Reboot', 'restart_alt'):
                        reboot = reboot_panel()
                    with _card('Unattended upgrades', 'system_update'):
                        upgrades = upgrades_panel()
                    with _card('Network probes', 'network_check'):
                        probes = probe_list()
                        names = sorted(system.config.probes)
                        if names:
                            ui.button('Run probes now', icon='play_arrow', on_click=lambda: _run_probes(names)).props(
                                'outline data-testid=run-probes'
                            )
                with ui.column().classes('w-full gap-4 min-w-0'):
                    with _card('CPU and memory, last 24 h', 'show_chart'):
                        usage = trend_chart(
                            {'cpu_percent': 'CPU', 'memory_percent': 'Memory'}, unit=' %', max_value=100
                        )
                        usage.props('data-testid=usage-chart')
                    with _card('Load average, last 24 h', 'speed'):
                        load = trend_chart({'load1': '1 min', 'load5': '5 min', 'load15': '15 min'})
                        load.props('data-testid=load-chart')
            top_consumers(system.stats, system.stat_history)
            with _card('Journal', 'receipt_long'):
                journal_viewer(system.manager, list(system.config.journal.units))

        def show_report(report: HostReport) -> None:
            reboot.show(report)
            upgrades.show(report)
            probes.show(list(report.probes), configured=len(system.config.probes))

        readings: list[HostReading] = []

        def add_reading(reading: HostReading) -> None:
            readings.append(reading)
            cutoff = utc_now() - TREND_WINDOW
            while readings and readings[0].at < cutoff:
                readings.pop(0)
            usage.show(readings)
            load.show(readings)

        async def load_page() -> None:
            readings.extend(await readings_since(utc_now() - TREND_WINDOW))
            usage.show(readings)
            load.show(readings)
            mounts, skipped = await filesystems(system.adapters.host_root)
            disks.show_filesystems(mounts, skipped)
            disks.show_docker(await docker_disk_usage(system.engine))

        async def _run_probes(names: list[str]) -> None:
            # Each probe is a run of its own: audited, and visible on the Runs page.
            actor = current_actor()
            handles = [
                await system.manager.submit('host_network_probe', {'target': name}, actor=actor, origin='ui')
                for name in names
            ]
            results = []
            for handle in handles:
                outcome = await handle.outcome()
                if outcome.succeeded and outcome.result is not None:
                    results.append(ProbeResult(**{**outcome.result, 'addresses': tuple(outcome.result['addresses'])}))
            probes.show(results, configured=len(names))

        show_report(system.host_signals.report)
        listen(system.host_signals.changed, show_report)
        listen(system.sampler.sampled, add_reading)
        background_tasks.create(load_page(), name='host-page')


def _card(title: str, icon: str) -> ui.card:
    card = ui.card().classes('w-full gap-2').props('flat bordered')
    with card, ui.row().classes('items-center gap-2'):
        ui.icon(icon).classes('opacity-70')
        ui.label(title).classes('text-base font-semibold')
    return card
