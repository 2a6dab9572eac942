"""Host alerts from real host reports on a real store: a stale backup, full filesystems, the filesystem holding the
real engine's data root, a reboot asked for too long, failed unattended upgrades and a probe failing in a row; each
resolves when a report no longer shows it, and what a report could not read changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from ops.alerts.host_watch import HostWatch
from ops.alerts.keeper import AlertKeeper
from ops.alerts.records import Alert, AlertState
from ops.alerts.rules import Rule, RuleBook
from ops.clock import utc_now
from ops.config import AlertsConfig, RuleConfig
from ops.docker.engine import Engine
from ops.host.backup import Freshness
from ops.host.disk import FilesystemUsage, filesystems
from ops.host.host_report import BackupFreshness, HostReport
from ops.host.network import ProbeResult
from ops.host.reboot import RebootStatus
from ops.host.upgrades import RunResult, UpgradeRun, UpgradesReport
from ops.store.audit import AuditLog
from ops.store.db import close_store, open_store
from tests.helpers.waiting import wait_for_async

OPEN, RESOLVED = AlertState.OPEN, AlertState.RESOLVED


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[None]:
    await open_store(tmp_path / 'h.sqlite3')
    yield
    await close_store()


def keeper(**rules: RuleConfig) -> AlertKeeper:
    return AlertKeeper(RuleBook(AlertsConfig(group_window='0s', rules=rules), []), audit=AuditLog())  # type: ignore[arg-type]


async def alerts_of(rule: Rule) -> list[tuple[str, AlertState]]:
    return [(a.target, a.state) for a in await Alert.filter(rule=rule).order_by('id')]


def report(**parts: object) -> HostReport:
    return HostReport(at=utc_now(), **parts)  # type: ignore[arg-type]


def backup(status: Freshness, age: timedelta | None = None) -> BackupFreshness:
    last = utc_now() - age if age is not None else None
    return BackupFreshness(unit='homelab-backup.service', status=status, last_success=last, max_age='1d')


def mount(mountpoint: str, percent: float) -> FilesystemUsage:
    return FilesystemUsage(
        device=f'/dev/{mountpoint.strip("/") or "root"}', mountpoint=mountpoint, fstype='ext4', total_bytes=100 * 10**9,
        used_bytes=int(percent * 10**9), free_bytes=int((100 - percent) * 10**9), percent=percent,
    )  # fmt: skip


def upgrades(result: RunResult, errors: tuple[str, ...] = ()) -> UpgradesReport:
    run = UpgradeRun(
        started_at='2026-11-30T06:00:01', finished_at='2026-11-30T06:02:10', result=result, packages=('openssl',),
        auto_removed=(), errors=errors, reboot_started=False,
    )  # fmt: skip
    return UpgradesReport(last_run=run, files_read=('/var/log/unattended-upgrades/unattended-upgrades.log',))


def probe(ok: bool, name: str = 'nas') -> ProbeResult:
    return ProbeResult(
        probe=name, kind='tcp', target='192.168.1.10:445', method='tcp', ok=ok, latency_ms=3.0 if ok else None,
        detail='connected' if ok else 'connection refused',
    )  # fmt: skip


async def test_a_failed_last_backup_alerts_even_while_the_last_success_is_fresh(store: None) -> None:
    alerts = keeper()
    watch = HostWatch(alerts)
    failed = replace(
        backup('fresh', timedelta(hours=2)),
        last_failure=utc_now() - timedelta(minutes=10),
        failure_message='restic: repository is locked',
    )
    await watch.handle(report(backup=failed))
    [alert] = alerts.open_alerts()
    assert alert.rule is Rule.BACKUP_STALE and 'failed' in alert.summary
    assert alert.evidence['failure'] == 'restic: repository is locked'
    await watch.handle(report(backup=backup('fresh', timedelta(minutes=1))))  # a later run succeeded
    assert await alerts_of(Rule.BACKUP_STALE) == [('homelab-backup.service', RESOLVED)]


async def test_a_stale_or_missing_backup_alerts_until_a_backup_is_fresh_and_unknown_changes_nothing(
    store: None,
) -> None:
    alerts = keeper()
    watch = HostWatch(alerts)
    await watch.handle(report(backup=backup('stale', timedelta(days=3))))
    [alert] = alerts.open_alerts()
    assert (
        alert.target == 'homelab-backup.service'
        and 'last succeeded' in alert.summary
        and '(max age 1d)' in alert.summary
    )
    await watch.handle(report(backup=backup('stale', timedelta(days=3))))  # the same: not repeated
    await watch.handle(report(backup=backup('unknown')))  # could not read: the alert stands
    assert alerts.is_open(Rule.BACKUP_STALE, 'homelab-backup.service') and (await Alert.get(id=alert.id)).updates == 0
    await watch.handle(report(backup=backup('fresh', timedelta(hours=2))))
    assert (await Alert.get(id=alert.id)).resolution == 'homelab-backup.service: a backup succeeded since'
    await watch.handle(report(backup=backup('never')))
    assert alerts.open_alerts()[0].summary == 'homelab-backup.service has never succeeded'
    await watch.handle(report(backup=backup('not_configured')))
    assert await alerts_of(Rule.BACKUP_STALE) == [('homelab-backup.service', RESOLVED)] * 2


async def test_each_filesystem_above_the_threshold_alerts_and_resolves_when_it_goes_below(store: None) -> None:
    alerts = keeper()  # disk_full: above 90 %
    watch = HostWatch(alerts)
    await watch.handle(report(filesystems=(mount('/', 95), mount('/srv', 50))))
    assert await alerts_of(Rule.DISK_FULL) == [('/', OPEN)]
    assert alerts.open_alerts()[0].summary == '/ is 95% full, 5.0 GB free'
    await watch.handle(report(filesystems=()))  # nothing could be read: nothing changes
    await watch.handle(report(filesystems=(mount('/', 60), mount('/srv', 91))))
    assert await alerts_of(Rule.DISK_FULL) == [('/', RESOLVED), ('/srv', OPEN)]
    assert (await Alert.get(target='/')).resolution == '/ is 60% full'

    strict = keeper(disk_full=RuleConfig(threshold=97))
    await HostWatch(strict).handle(report(filesystems=(mount('/data', 95),)))
    assert strict.open_alerts() == []


async def test_the_filesystem_holding_the_real_engines_data_root_alerts_above_its_threshold(store: None) -> None:
    engine = Engine()
    root = await asyncio.to_thread(engine.data_root)
    assert engine.local and root.startswith('/')
    real, _ = await filesystems(Path('/'))
    holding = max((fs for fs in real if Path(root).is_relative_to(fs.mountpoint)), key=lambda fs: len(fs.mountpoint))
    others = tuple(fs for fs in real if fs is not holding)
    alerts = keeper()  # docker_disk: above 85 %
    watch = HostWatch(alerts, docker_root=engine.data_root)
    await watch.handle(report(filesystems=(replace(holding, percent=88.0), *others)))
    assert [(a.rule, a.target) for a in alerts.open_alerts() if a.rule is Rule.DOCKER_DISK] == [
        (Rule.DOCKER_DISK, root)
    ]
    await watch.handle(report(filesystems=(replace(holding, percent=40.0), *others)))
    assert await alerts_of(Rule.DOCKER_DISK) == [(root, RESOLVED)]
    engine.reset()

    # A data root on a filesystem the report does not list (its own mount): nothing is known, nothing raised.
    elsewhere = HostWatch(keeper(), docker_root=lambda: '/proc/sys')
    await elsewhere.handle(report(filesystems=(mount('/', 99),)))
    assert not elsewhere.keeper.is_open(Rule.DOCKER_DISK, '/proc/sys')
    assert elsewhere.keeper.is_open(Rule.DISK_FULL, '/')  # the other rules still judged the report


async def test_a_reboot_asked_for_longer_than_the_hold_time_alerts_counted_from_the_flag(store: None) -> None:
    alerts = keeper()  # reboot_required: after 3 d
    watch = HostWatch(alerts)
    flag = RebootStatus(
        required=True,
        since=utc_now() - timedelta(days=1),
        packages=('linux-image-6.1',),
        flag_file='/run/reboot-required',
    )
    await watch.handle(report(reboot=flag))
    assert alerts.open_alerts() == []
    await watch.handle(report(reboot=replace(flag, since=utc_now() - timedelta(days=4))))
    [alert] = alerts.open_alerts()
    assert alert.target == 'host' and alert.evidence['packages'] == 'linux-image-6.1'
    await watch.handle(report(reboot=None))  # not read: nothing changes
    assert alerts.open_alerts()
    await watch.handle(report(reboot=RebootStatus(required=False, since=None, packages=(), flag_file=None)))
    assert await alerts_of(Rule.REBOOT_REQUIRED) == [('host', RESOLVED)]


async def test_failed_unattended_upgrades_alert_until_a_run_without_errors(store: None) -> None:
    alerts = keeper()
    watch = HostWatch(alerts)
    await watch.handle(report(upgrades=upgrades('errors', ('dpkg: error processing package openssl',))))
    [alert] = alerts.open_alerts()
    assert alert.summary == 'the run of 2026-11-30 06:02:10 reported errors: dpkg: error processing package openssl'
    await watch.handle(report(upgrades=upgrades('incomplete')))  # a run still going: the verdict stands
    assert alerts.open_alerts()
    await watch.handle(report(upgrades=upgrades('nothing_to_upgrade')))
    assert await alerts_of(Rule.UPGRADES_FAILED) == [('unattended-upgrades', RESOLVED)]


async def test_a_probe_alerts_after_count_failures_in_a_row_and_resolves_at_the_first_success(store: None) -> None:
    alerts = keeper()  # probe_failing: 3 in a row
    watch = HostWatch(alerts)
    for ok in (False, False, True, False, False):
        await watch.handle(report(probes=(probe(ok), probe(True, 'dns'))))
    assert alerts.open_alerts() == []
    await watch.handle(report(probes=(probe(False), probe(True, 'dns'))))
    [alert] = alerts.open_alerts()
    assert alert.target == 'nas' and 'failed 3 times in a row' in alert.summary

    again = keeper()  # the console restarted: the open alert is taken up and stays while the probe fails
    await again.load()
    restarted = HostWatch(again)
    await restarted.handle(report(probes=(probe(False),)))
    assert again.is_open(Rule.PROBE_FAILING, 'nas')
    await restarted.handle(report(probes=(probe(True),)))
    assert await alerts_of(Rule.PROBE_FAILING) == [('nas', RESOLVED)]
    assert (await Alert.get(id=alert.id)).resolution == 'nas answered again'


async def test_the_watcher_outlives_a_failing_engine_and_a_lost_store_and_stops_at_once(
    store: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def no_engine() -> str:
        raise RuntimeError('the engine is down')

    alerts = keeper()
    watch = HostWatch(alerts, docker_root=no_engine)
    task = asyncio.create_task(watch.run())
    try:
        watch.heard(report(filesystems=(mount('/', 99),)))
        await wait_for_async(lambda: alerts.open_alerts(), timeout=10, what='the first report judged')
        await close_store()  # the store goes away: judging the next report fails, and is logged
        watch.heard(report(filesystems=(mount('/', 99),), backup=backup('never')))
        await wait_for_async(
            lambda: 'host alert watch failed to judge a host report' in caplog.messages, timeout=10, what='the failure'
        )
        await open_store(tmp_path / 'h.sqlite3')
        watch.heard(report(filesystems=(mount('/', 99),), backup=backup('never')))
        await wait_for_async(lambda: len(alerts.open_alerts()) == 2, timeout=10, what='the next report judged')
    finally:
        watch.stop()
        await asyncio.wait_for(task, 2)
    assert not task.exception()
    assert sorted(a.rule.value for a in alerts.open_alerts()) == ['backup_stale', 'disk_full']
