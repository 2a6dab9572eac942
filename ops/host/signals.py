"""Host signals: disk, reboot flag, unattended upgrades, backup freshness and probes, re-read in the background.

These are host files and probes, not Docker events, so one watcher reads them every few minutes (off the event
loop) for every page at once, and publishes a fresh report. It reuses the host operations' own readers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace

from ops.adapters import Adapters
from ops.bus import Event
from ops.clock import utc_now
from ops.config import parse_duration
from ops.errors import OperationFailed
from ops.host.backup import SYSTEMD_MATCHES, event_from_result, freshness, last_events, newest
from ops.host.disk import filesystems
from ops.host.host_report import BackupFreshness, HostReport, signals_of
from ops.host.network import ProbeResult, probe_problem, run_probe
from ops.host.reboot import read_reboot_status
from ops.host.request_files import read_result
from ops.host.systemd_journal import read_journal
from ops.host.upgrades import read_upgrades_report
from ops.log_text import one_line

log = logging.getLogger(__name__)

INTERVAL = 300.0
JOURNAL_LINES = 1000
JOURNAL_TIMEOUT = 20.0


class HostSignals:
    """Re-reads the host every `interval` seconds until stop() and publishes each new report."""

    def __init__(self, adapters: Adapters, *, interval: float = INTERVAL) -> None:
        self.adapters = adapters
        self.interval = interval
        self.report = HostReport()
        self.changed: Event[HostReport] = Event()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Refresh now, then every interval; a failing read is logged and tried again next time."""
        while not self._stopping.is_set():
            try:
                await self.refresh()
            except Exception:  # the watcher must outlive any surprise from the host
                log.exception('host signals failed')
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    def stop(self) -> None:
        """End run() at once."""
        self._stopping.set()

    async def refresh(self) -> HostReport:
        """Read everything once (concurrently, off the loop) and publish the report."""
        adapters = self.adapters
        (mounts, _), reboot, upgrades, backup, probes = await asyncio.gather(
            filesystems(adapters.host_root),
            asyncio.to_thread(read_reboot_status, adapters),
            asyncio.to_thread(read_upgrades_report, adapters),
            backup_freshness(adapters),
            run_probes(adapters),
        )
        report = HostReport(
            at=utc_now(), filesystems=tuple(mounts), reboot=reboot, upgrades=upgrades, backup=backup, probes=probes
        )
        self.report = replace(report, signals=signals_of(report))
        self.changed.emit(self.report)
        return self.report


async def backup_freshness(adapters: Adapters) -> BackupFreshness:
    """The backup_status operation's verdict, from systemd's journal entries and the host's result file."""
    config = adapters.config.backup
    if not adapters.config.backup_configured:  # no [backup] section: nothing to be late, the unit is a guess
        return BackupFreshness(unit=config.unit, status='not_configured', last_success=None, max_age=config.max_age)
    success = failure = None
    error: str | None = None
    try:
        journal = await read_journal(
            adapters.host_path(adapters.config.journal.directory),
            unit=config.unit,
            lines=JOURNAL_LINES,
            matches=SYSTEMD_MATCHES,
            timeout=JOURNAL_TIMEOUT,
        )
        success, failure = last_events(journal.entries)
    except OperationFailed as err:
        error = str(err)
    host_result = await asyncio.to_thread(read_result, adapters.requests_dir, 'backup')
    from_result = event_from_result(host_result)
    ok = from_result if from_result and from_result.outcome == 'success' else None
    failed = from_result if from_result and from_result.outcome == 'failure' else None
    last_success, last_failure = newest(success, ok), newest(failure, failed)
    status = freshness(
        last_success, utc_now(), parse_duration(config.max_age), known=error is None or host_result is not None
    )
    return BackupFreshness(
        unit=config.unit,
        status=status,
        last_success=last_success.time if last_success else None,
        max_age=config.max_age,
        error=error,
        last_failure=last_failure.time if last_failure else None,
        failure_message=one_line(last_failure.message, 300) if last_failure else '',
    )


async def run_probes(adapters: Adapters) -> tuple[ProbeResult, ...]:
    """Every configured probe that can run, concurrently; each bounded by its own timeout."""
    probes = adapters.config.probes
    runnable = {name: probe for name, probe in sorted(probes.items()) if probe_problem(probe) is None}
    results = await asyncio.gather(*(run_probe(name, probe) for name, probe in runnable.items()))
    return tuple(results)
