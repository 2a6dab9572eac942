"""What the host signal watcher last read, and the verdicts (signals) an operator sees as coloured badges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ops.clock import age_text
from ops.host.backup import Freshness
from ops.host.disk import FilesystemUsage
from ops.host.network import ProbeResult
from ops.host.reboot import RebootStatus
from ops.host.upgrades import UpgradesReport

DISK_WARN, DISK_BAD = 80.0, 90.0

Level = Literal['ok', 'warn', 'bad', 'unknown', 'off']  # off: not configured, nothing to worry about


@dataclass(frozen=True, kw_only=True, slots=True)
class Signal:
    """One badge of the signal strip: what it is about, how worrying, the short text and the longer why."""

    key: str
    level: Level
    text: str
    detail: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BackupFreshness:
    """How old the last successful backup is against max_age (fresh / stale / never / unknown), and the last run's
    failure when it came after the last success (`failing`)."""

    unit: str
    status: Freshness
    last_success: datetime | None
    max_age: str
    error: str | None = None
    last_failure: datetime | None = None
    failure_message: str = ''

    @property
    def failing(self) -> bool:
        """The latest run failed (backup_status says so too)."""
        return self.last_failure is not None and (self.last_success is None or self.last_failure > self.last_success)


@dataclass(frozen=True, kw_only=True, slots=True)
class HostReport:
    """Everything the watcher last read about the host (`at` None: not read yet), and its signals."""

    at: datetime | None = None
    filesystems: tuple[FilesystemUsage, ...] = ()
    reboot: RebootStatus | None = None
    upgrades: UpgradesReport | None = None
    backup: BackupFreshness | None = None
    probes: tuple[ProbeResult, ...] = ()
    signals: tuple[Signal, ...] = ()


def signals_of(report: HostReport) -> tuple[Signal, ...]:
    """The badges for a report: disk, reboot, upgrades, backup, then one per probe."""
    return (
        _disk(report.filesystems),
        _reboot(report.reboot),
        _upgrades(report.upgrades),
        _backup(report.backup),
        *(_probe(result) for result in report.probes),
    )


def _disk(mounts: tuple[FilesystemUsage, ...]) -> Signal:
    if not mounts:
        return Signal(key='disk', level='unknown', text='Disk ?', detail='No filesystem could be read.')
    worst = max(mounts, key=lambda fs: fs.percent)
    level: Level = 'bad' if worst.percent >= DISK_BAD else 'warn' if worst.percent >= DISK_WARN else 'ok'
    detail = f'Fullest filesystem: {worst.mountpoint} at {worst.percent:.0f}% ({len(mounts)} filesystems)'
    return Signal(key='disk', level=level, text=f'Disk {worst.percent:.0f}% {worst.mountpoint}', detail=detail)


def _reboot(status: RebootStatus | None) -> Signal:
    if status is None:
        return Signal(key='reboot', level='unknown', text='Reboot ?', detail='Not read yet.')
    if not status.required:
        return Signal(key='reboot', level='ok', text='No reboot needed', detail='No /run/reboot-required flag.')
    names = ', '.join(status.packages[:5]) + (' …' if len(status.packages) > 5 else '')
    return Signal(key='reboot', level='warn', text='Reboot required', detail=f'Asked for by: {names or "no list"}')


def _upgrades(report: UpgradesReport | None) -> Signal:
    run = report.last_run if report is not None else None
    if run is None:
        return Signal(key='upgrades', level='unknown', text='Upgrades: no run', detail='No unattended-upgrades log.')
    when = f'last run {run.finished_at.replace("T", " ")}'
    if run.result == 'success':
        return Signal(key='upgrades', level='ok', text=f'Upgraded {len(run.packages)}', detail=when)
    if run.result == 'nothing_to_upgrade':
        return Signal(key='upgrades', level='ok', text='Up to date', detail=when)
    if run.result == 'errors':
        return Signal(key='upgrades', level='bad', text='Upgrades failed', detail=f'{when}: {run.errors[0]}')
    return Signal(key='upgrades', level='warn', text='Upgrades incomplete', detail=f'{when}, did not finish')


def _backup(backup: BackupFreshness | None) -> Signal:
    if backup is not None and backup.status == 'not_configured':
        why = 'No [backup] section in the config: add one with the backup unit and its max_age to watch it.'
        return Signal(key='backup', level='off', text='Backups not configured', detail=why)
    if backup is None or backup.status == 'unknown':
        why = backup.error if backup is not None and backup.error else 'Not read yet.'
        return Signal(key='backup', level='unknown', text='Backup ?', detail=why)
    if backup.last_success is None:
        return Signal(key='backup', level='bad', text='No backup yet', detail=f'{backup.unit} never succeeded.')
    age = age_text(backup.last_success)
    detail = f'{backup.unit} last succeeded {age} ago (max {backup.max_age})'
    if backup.status == 'stale':
        return Signal(key='backup', level='bad', text=f'Backup {age} old', detail=detail)
    return Signal(key='backup', level='ok', text=f'Backup {age} ago', detail=detail)


def _probe(result: ProbeResult) -> Signal:
    latency = f' {result.latency_ms:.0f} ms' if result.ok and result.latency_ms is not None else ''
    text = f'{result.probe}{latency}' if result.ok else f'{result.probe} down'
    detail = f'{result.kind} {result.target}: {result.detail}'
    return Signal(key=f'probe:{result.probe}', level='ok' if result.ok else 'bad', text=text, detail=detail)
