"""The host sampler (psutil readings persisted, pruned after 48 h), the trend buckets and the signal verdicts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from components.charts import bucketed
from ops.clock import age_text
from ops.host.disk import FilesystemUsage
from ops.host.host_report import HostReport, signals_of
from ops.host.network import ProbeResult
from ops.host.reboot import RebootStatus
from ops.host.samples import HostReading, HostSampler, prune, read_host, readings_since, save
from ops.store.db import close_store, open_store
from ops.store.models import HostSample
from ops.world.container_facts import engine_time

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def reading(at: datetime, cpu: float = 10.0) -> HostReading:
    return HostReading(at=at, cpu_percent=cpu, memory_percent=50.0, load1=1.0, load5=0.5, load15=0.25)


def filesystem(mountpoint: str, percent: float) -> FilesystemUsage:
    return FilesystemUsage(
        device=mountpoint, mountpoint=mountpoint, fstype='ext4', total_bytes=100, used_bytes=50, free_bytes=50,
        percent=percent,
    )  # fmt: skip


def test_a_reading_is_a_real_psutil_reading() -> None:
    now = read_host()
    assert 0 <= now.cpu_percent <= 100
    assert 0 < now.memory_percent <= 100
    assert min(now.load1, now.load5, now.load15) >= 0
    assert now.at.tzinfo is not None


async def test_readings_persist_and_samples_older_than_48_hours_are_pruned(tmp_path: Path) -> None:
    await open_store(tmp_path / 'h.sqlite3')
    try:
        now = datetime.now(tz=UTC)
        for hours in (50, 30, 1):
            await save(reading(now - timedelta(hours=hours), cpu=hours))
        assert await prune() == 1
        day = await readings_since(now - timedelta(hours=24))
        assert [r.cpu_percent for r in day] == [1]
        assert await HostSample.all().count() == 2
    finally:
        await close_store()


async def test_the_sampler_samples_soon_after_start_and_stops_at_once(tmp_path: Path) -> None:
    await open_store(tmp_path / 'h.sqlite3')
    try:
        sampler = HostSampler(interval=0.2)
        seen: list[HostReading] = []
        sampler.sampled.subscribe(seen.append)
        task = asyncio.create_task(sampler.run())
        async with asyncio.timeout(10):
            while len(seen) < 2:
                await asyncio.sleep(0.05)
        sampler.stop()
        await asyncio.wait_for(task, timeout=2)
        assert await HostSample.all().count() >= 2
    finally:
        await close_store()


def test_a_day_of_30_second_samples_becomes_5_minute_points() -> None:
    readings = [reading(NOW + timedelta(seconds=30 * i), cpu=i % 10) for i in range(2880)]
    points = bucketed(readings)
    assert len(points) == 288
    assert points[0][1]['cpu_percent'] == sum(range(10)) / 10


def test_signals_say_what_an_operator_needs_with_a_colour() -> None:
    disk = [filesystem('/', 50), filesystem('/srv', 93)]
    probe = ProbeResult(
        probe='nas', kind='tcp', target='nas.lan', method='tcp', ok=False, latency_ms=None, detail='refused'
    )
    reboot = RebootStatus(required=True, since=NOW, packages=('linux-image-amd64',), flag_file='/run/reboot-required')
    signals = {
        s.key: s for s in signals_of(HostReport(at=NOW, filesystems=tuple(disk), reboot=reboot, probes=(probe,)))
    }
    assert (signals['disk'].level, signals['disk'].text) == ('bad', 'Disk 93% /srv')
    assert (signals['reboot'].level, signals['reboot'].text) == ('warn', 'Reboot required')
    assert 'linux-image-amd64' in signals['reboot'].detail
    assert (signals['upgrades'].level, signals['backup'].level) == ('unknown', 'unknown')
    assert (signals['probe:nas'].level, signals['probe:nas'].text) == ('bad', 'nas down')


def test_ages_and_engine_times() -> None:
    assert [age_text(NOW - timedelta(seconds=s), NOW) for s in (5, 600, 7200, 5 * 86400)] == [
        '5 s',
        '10 min',
        '2 h',
        '5 d',
    ]
    assert engine_time('2026-11-25T01:45:12.123456789Z') == datetime(2026, 11, 25, 1, 45, 12, 123456, tzinfo=UTC)
    assert engine_time('2026-11-25T01:45:12Z') == datetime(2026, 11, 25, 1, 45, 12, tzinfo=UTC)
    assert engine_time(None) is None
    assert engine_time('garbage') is None
