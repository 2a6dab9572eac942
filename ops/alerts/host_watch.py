"""Host alerts from each host report (every five minutes): a stale backup, full filesystems, a full Docker disk, a
reboot asked for too long, failed unattended upgrades and probes failing again and again. Each resolves when a
later report no longer shows it; what a report could not read changes nothing."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.rules import Rule
from ops.alerts.watching import Watcher
from ops.host.disk import FilesystemUsage
from ops.host.host_report import BackupFreshness, HostReport
from ops.host.network import ProbeResult
from ops.host.reboot import RebootStatus
from ops.host.upgrades import UpgradesReport
from ops.log_text import one_line

log = logging.getLogger(__name__)

HOST = 'host'
UPGRADES = 'unattended-upgrades'


class HostWatch(Watcher[HostReport]):
    """Hears the host signals' reports. `docker_root` (blocking) names the engine's data root as the host names it
    (None: the engine is not on this host, so no filesystem here is Docker's)."""

    name = 'host alert watch'

    def __init__(
        self, keeper: AlertKeeper, *, host_root: Path = Path('/'), docker_root: Callable[[], str] | None = None
    ) -> None:
        super().__init__()
        self.keeper = keeper
        self.host_root = host_root
        self.docker_root = docker_root
        self._root: str | None = None
        self._failures: dict[str, int] = {}  # failed probes in a row, per probe
        self._told: set[str] = set()  # why the Docker disk is not watched, logged once each

    async def handle(self, item: HostReport) -> None:
        if item.at is None:
            return
        steps = (
            lambda: self.backup(item.backup),
            lambda: self.disks(item.filesystems),
            lambda: self.docker_disk(item.filesystems),
            lambda: self.reboot(item.reboot),
            lambda: self.upgrades(item.upgrades),
            lambda: self.probes(item.probes),
        )
        for step in steps:  # one failing rule must not keep the others from their report
            await self._safely(step, 'judge a host report')

    async def backup(self, backup: BackupFreshness | None) -> None:
        if backup is None or backup.status == 'unknown':
            return
        conditions = []
        if backup.status in ('stale', 'never'):
            last = f'{backup.last_success:%Y-%m-%d %H:%M} UTC' if backup.last_success else None
            how = f'last succeeded {last} (max age {backup.max_age})' if last else 'has never succeeded'
            evidence = {
                'last_success': last,
                'max_age': backup.max_age,
                'error': backup.error,
                'last_run_failed': backup.failure_message if backup.failing else None,
            }
            conditions.append(
                Condition(rule=Rule.BACKUP_STALE, target=backup.unit, summary=f'{backup.unit} {how}', evidence=evidence)
            )
        elif backup.failing and backup.last_failure is not None and backup.status != 'not_configured':
            when = f'{backup.last_failure:%Y-%m-%d %H:%M} UTC'
            evidence = {'failed_at': when, 'failure': backup.failure_message, 'max_age': backup.max_age}
            conditions.append(
                Condition(
                    rule=Rule.BACKUP_STALE,
                    target=backup.unit,
                    summary=f'{backup.unit}: the last run failed ({when})',
                    evidence=evidence,
                )
            )
        why = 'backups are no longer watched' if backup.status == 'not_configured' else 'a backup succeeded since'
        await self.keeper.sync(Rule.BACKUP_STALE, conditions, resolution=lambda unit: f'{unit}: {why}')

    async def disks(self, filesystems: tuple[FilesystemUsage, ...]) -> None:
        if not filesystems:
            return  # none could be read: nothing is known
        threshold = self.keeper.rules[Rule.DISK_FULL].threshold or 90.0
        full = [fs for fs in filesystems if fs.percent > threshold]
        now = {fs.mountpoint: fs for fs in filesystems}
        await self.keeper.sync(
            Rule.DISK_FULL,
            [_full(Rule.DISK_FULL, fs.mountpoint, fs) for fs in full],
            resolution=lambda mount: (
                f'{mount} is {now[mount].percent:.0f}% full'
                if mount in now
                else f'{mount} is no longer mounted (or could not be read)'
            ),
        )

    async def docker_disk(self, filesystems: tuple[FilesystemUsage, ...]) -> None:
        found = await self._docker_filesystem(filesystems)
        if found is None:
            return
        root, fs = found
        threshold = self.keeper.rules[Rule.DOCKER_DISK].threshold or 85.0
        held = [_full(Rule.DOCKER_DISK, root, fs)] if fs.percent > threshold else []
        await self.keeper.sync(
            Rule.DOCKER_DISK,
            held,
            resolution=lambda _: f'{fs.mountpoint} (holding {root}) is {fs.percent:.0f}% full',
        )

    async def reboot(self, status: RebootStatus | None) -> None:
        if status is None:
            return
        conditions = []
        if status.required:
            names = ', '.join(status.packages[:10]) + (' …' if len(status.packages) > 10 else '')
            since = f' since {status.since:%Y-%m-%d %H:%M} UTC' if status.since else ''
            conditions.append(
                Condition(
                    rule=Rule.REBOOT_REQUIRED,
                    target=HOST,
                    summary=f'the host asks for a reboot{since}',
                    evidence={'packages': names, 'flag_file': status.flag_file},
                    since=status.since,
                )
            )
        await self.keeper.sync(Rule.REBOOT_REQUIRED, conditions, resolution=lambda _: 'the reboot flag is gone')

    async def upgrades(self, report: UpgradesReport | None) -> None:
        run = report.last_run if report is not None else None
        if run is None or run.result == 'incomplete':
            return  # no run known, or one still going: the last verdict stands
        conditions = []
        when = run.finished_at.replace('T', ' ')
        if run.result == 'errors':
            conditions.append(
                Condition(
                    rule=Rule.UPGRADES_FAILED,
                    target=UPGRADES,
                    summary=f'the run of {when} reported errors: {one_line(run.errors[0])}',
                    evidence={'started_at': run.started_at, 'errors': [one_line(e, 300) for e in run.errors[:5]]},
                )
            )
        await self.keeper.sync(
            Rule.UPGRADES_FAILED, conditions, resolution=lambda _: f'the run of {when} had no errors'
        )

    async def probes(self, results: tuple[ProbeResult, ...]) -> None:
        count = self.keeper.rules[Rule.PROBE_FAILING].count or 1
        self._failures = {r.probe: 0 if r.ok else self._failures.get(r.probe, 0) + 1 for r in results}
        failing = [
            r
            for r in results
            if not r.ok
            and (self._failures[r.probe] >= count or self.keeper.is_open(Rule.PROBE_FAILING, r.probe))  # restarted
        ]
        conditions = [
            Condition(
                rule=Rule.PROBE_FAILING,
                target=r.probe,
                summary=f'{r.probe} ({r.kind} {r.target}) failed {self._failures[r.probe]} times in a row: '
                f'{one_line(r.detail)}',
                evidence={'kind': r.kind, 'target': r.target, 'detail': one_line(r.detail, 300)},
            )
            for r in failing
        ]
        ok = {r.probe for r in results if r.ok}
        await self.keeper.sync(
            Rule.PROBE_FAILING,
            conditions,
            resolution=lambda probe: f'{probe} answered again' if probe in ok else f'{probe} is no longer probed',
        )

    async def _docker_filesystem(self, filesystems: tuple[FilesystemUsage, ...]) -> tuple[str, FilesystemUsage] | None:
        """The engine's data root and the filesystem of the report that holds it, when that can be known."""
        if self.docker_root is None or not filesystems:
            return None
        if self._root is None:
            try:
                self._root = await asyncio.to_thread(self.docker_root)
            except Exception as err:  # the engine is down: ask again with the next report
                self._once(f'the engine did not say where it keeps its data: {one_line(err)}')
                return None
        root = self._root
        mounts = [fs for fs in filesystems if _holds(fs.mountpoint, root)]
        fs = max(mounts, key=lambda f: len(f.mountpoint), default=None)
        if fs is None or not await asyncio.to_thread(_same_filesystem, self._host(root), self._host(fs.mountpoint)):
            self._once(f"Docker's data root {root} is not on a filesystem the host report reads")
            return None
        return root, fs

    def _host(self, path: str) -> Path:
        return self.host_root / path.lstrip('/')

    def _once(self, why: str) -> None:
        if why not in self._told:
            self._told.add(why)
            log.info('docker_disk alerts wait: %s', why)


def _full(rule: Rule, target: str, fs: FilesystemUsage) -> Condition:
    free = f'{fs.free_bytes / 1e9:.1f} GB free'
    where = f'{target} (on {fs.mountpoint})' if target != fs.mountpoint else target
    return Condition(
        rule=rule,
        target=target,
        summary=f'{where} is {fs.percent:.0f}% full, {free}',
        evidence={'mount': fs.mountpoint, 'device': fs.device, 'fstype': fs.fstype, 'percent': round(fs.percent)},
    )


def _holds(mountpoint: str, path: str) -> bool:
    return Path(path).is_relative_to(mountpoint)


def _same_filesystem(one: Path, other: Path) -> bool:
    """Whether both paths are on one filesystem as seen from here (the data root may be a mount of its own that
    the report does not list: then the longest mount point above it is not its filesystem)."""
    try:
        return os.stat(one).st_dev == os.stat(other).st_dev
    except OSError:
        return False
