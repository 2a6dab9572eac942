"""The stored stats history: minute and quarter rollups (averages, maxima, byte rates), a console restart, pruning."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ops import clock
from ops.config import ConfigError, HomelabConfig, load_config, parse_duration
from ops.stats.records import StatRollup
from ops.stats.rollups import MINUTE, QUARTER, StatHistory
from ops.stats.samples import ContainerSample, RecentSamples
from ops.store.db import close_store, open_store
from tests.helpers.waiting import wait_for_async

T0 = 1_764_504_000  # a quarter's (and a minute's) start
MB = 1024 * 1024
WEB = 'a' * 64
WEB_AGAIN = 'b' * 64  # the same service's container after a recreate


class Wall:
    """The wall clock (`ops.clock.utc_now`) the history's schedule and spans run on, moved by the test."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.at, tz=UTC)


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> Wall:
    fake = Wall(T0)
    monkeypatch.setattr(clock, 'utc_now', fake)
    return fake


def sample(at: float, name: str = 'web', container_id: str = WEB, cpu: float = 0.0, memory: int = MB,
           counters: tuple[int, int, int, int] = (0, 0, 0, 0), pids: int = 1,
           stack: str | None = 'site') -> ContainerSample:  # fmt: skip
    rx, tx, read, write = counters
    return ContainerSample(
        container_id=container_id, name=name, stack=stack, at=at, cpu_percent=cpu, memory_bytes=memory,
        memory_limit_bytes=512 * MB, net_rx_bytes=rx, net_tx_bytes=tx, block_read_bytes=read,
        block_write_bytes=write, pids=pids,
    )  # fmt: skip


@asynccontextmanager
async def running(history: StatHistory) -> AsyncIterator[StatHistory]:
    task = asyncio.create_task(history.run())
    try:
        yield history
    finally:
        history.stop()
        await asyncio.wait_for(task, 10)


async def rows(resolution: int) -> list[StatRollup]:
    return await StatRollup.filter(resolution=resolution).order_by('bucket_start', 'name')


async def written(**where: object) -> int:
    return await StatRollup.filter(**where).count()


def steady_minutes(first: int, count: int, cpu: float = 10.0) -> Iterator[list[ContainerSample]]:
    """Batches every 10 s for `count` minutes from minute `first` on, CPU `cpu` + the minute's number."""
    for minute in range(first, first + count):
        for tick in range(6):
            at = T0 + minute * MINUTE + tick * 10 + 5
            yield [sample(at, cpu=cpu + minute, memory=(100 + minute) * MB, counters=(int(at - T0) * 100, 0, 0, 0))]


async def test_a_minute_keeps_the_average_and_peak_and_byte_rates_a_restart_of_the_container_skipped(
    database: Path, wall: Wall
) -> None:
    history = StatHistory(RecentSamples(), tick=0.01)
    async with running(history):
        # web: CPU 10..60 %, memory 100..600 MB; rx +1000 B, tx +2000 B, writes +500 B per 10 s, except that the
        # container restarted between the third and fourth sample (every counter starts again).
        counters = [(10_000, 0, 7, 0), (11_000, 2000, 7, 500), (12_000, 4000, 7, 1000),
                    (500, 100, 0, 0), (1_500, 2100, 0, 500), (2_500, 4100, 0, 1000)]  # fmt: skip
        for i, moved in enumerate(counters):
            at = T0 + 5 + i * 10
            history.heard(
                [sample(at, cpu=10.0 * (i + 1), memory=100 * (i + 1) * MB, counters=moved, pids=[3, 5, 4, 4, 4, 4][i]),
                 sample(at, name='db', container_id='d' * 64, cpu=1.0, memory=50 * MB, stack='data')]
            )  # fmt: skip
        history.heard([sample(T0 + 66, cpu=99.0)])  # the next minute: the first is over
        await wait_for_async(written, timeout=10, what='the first minute written')
    wall.at = T0 + 120
    [point, _] = await history.series('web', '24h')
    assert point.at == T0
    assert (point.cpu_avg, point.cpu_max) == (35.0, 60.0)
    assert (point.memory_avg, point.memory_max, point.memory_limit) == (350 * MB, 600 * MB, 512 * MB)
    assert (point.net_rx_rate, point.net_tx_rate, point.block_read_rate, point.block_write_rate) == (100, 200, 0, 50)
    assert point.pids_max == 5
    [db] = await history.series('db', '24h')
    assert (db.cpu_avg, db.memory_max) == (1.0, 50 * MB)
    minutes = await rows(MINUTE)
    assert [(r.name, r.bucket_start, r.samples) for r in minutes] == [
        ('db', T0, 6), ('web', T0, 6), ('web', T0 + 60, 1)]  # fmt: skip


async def test_a_recreated_container_goes_on_under_its_name_without_a_rate_across_the_two_ids(
    database: Path, wall: Wall
) -> None:
    history = StatHistory(RecentSamples(), tick=0.01)
    async with running(history):
        history.heard([sample(T0 + 5, counters=(9_000_000, 0, 0, 0))])
        history.heard([sample(T0 + 15, counters=(9_001_000, 0, 0, 0))])
        history.heard([sample(T0 + 25, container_id=WEB_AGAIN, counters=(100, 0, 0, 0))])  # recreated, same name
        history.heard([sample(T0 + 35, container_id=WEB_AGAIN, counters=(1_100, 0, 0, 0))])
        wall.at = T0 + 70  # no sample comes: the clock ends the minute
        await wait_for_async(written, timeout=10, what='the minute written')
    [row] = await rows(MINUTE)
    assert (row.name, row.container_id, row.samples) == ('web', WEB_AGAIN[:12], 4)
    assert row.net_rx_rate == 100.0 and row.rate_seconds == 20


async def test_a_quarter_is_rolled_up_from_its_minutes_once_it_is_over(database: Path, wall: Wall) -> None:
    history = StatHistory(RecentSamples(), tick=0.01)
    async with running(history):
        for batch in steady_minutes(0, 15):
            history.heard(batch)
        assert await rows(QUARTER) == []  # the last minute is still open
        history.heard([sample(T0 + QUARTER + 10, cpu=1.0)])
        await wait_for_async(lambda: rows(QUARTER), timeout=10, what='the quarter rolled up')
    wall.at = T0 + 2 * QUARTER
    [quarter] = await history.series('web', '7d')
    assert quarter.at == T0
    assert quarter.cpu_avg == pytest.approx(sum(10.0 + m for m in range(15)) / 15)
    assert quarter.cpu_max == 24.0
    assert quarter.memory_avg == round(sum((100 + m) * MB for m in range(15)) / 15)
    assert quarter.memory_max == 114 * MB
    assert quarter.net_rx_rate == pytest.approx(100.0)  # 1000 B every 10 s


async def test_the_history_survives_a_restart_of_the_console(database: Path, wall: Wall) -> None:
    first = StatHistory(RecentSamples(), tick=0.01)
    batches = list(steady_minutes(0, 15))
    async with running(first):
        for batch in batches[:33]:  # five and a half minutes, then the console stops
            first.heard(batch)
    assert [r.bucket_start for r in await rows(MINUTE)] == [T0 + m * MINUTE for m in range(6)]
    await close_store()
    await open_store(database)
    wall.at = T0 + 5 * MINUTE + 40
    second = StatHistory(RecentSamples(), tick=0.01)
    async with running(second):
        for batch in batches[33:]:  # the rest of minute 5 (already written at the stop) and minutes 6 to 14
            second.heard(batch)
        second.heard([sample(T0 + QUARTER + 10, cpu=1.0)])
        await wait_for_async(lambda: rows(QUARTER), timeout=10, what='the quarter rolled up')
    wall.at = T0 + 2 * QUARTER
    minutes = await second.series('web', '24h')
    [quarter] = await second.series('web', '7d')
    assert [p.at for p in minutes] == [T0 + m * MINUTE for m in range(16)]  # one row per minute, none twice
    assert second.dropped == 3
    assert [p.cpu_avg for p in minutes[:15]] == [10.0 + m for m in range(15)]
    assert quarter.cpu_max == 24.0 and quarter.memory_max == 114 * MB


async def test_rows_past_their_retention_are_pruned_at_start_and_every_hour(database: Path, wall: Wall) -> None:
    stats = HomelabConfig.model_validate({'stats': {'keep_minutes': '2h', 'keep_quarters': '1d'}}).stats
    for resolution, age in ((MINUTE, 3 * 3600), (MINUTE, 90 * 60), (QUARTER, 2 * 86400), (QUARTER, 84600)):
        await StatRollup.create(
            name='gone', container_id='c' * 12, stack=None, resolution=resolution, bucket_start=T0 - age, samples=1,
            cpu_avg=1.0, cpu_max=1.0, memory_avg=1, memory_max=1, memory_limit=None, rate_seconds=0,
            net_rx_rate=0.0, net_tx_rate=0.0, block_read_rate=0.0, block_write_rate=0.0, pids_max=1,
        )  # fmt: skip
    history = StatHistory(
        RecentSamples(),
        keep_minutes=parse_duration(stats.keep_minutes),
        keep_quarters=parse_duration(stats.keep_quarters),
        tick=0.01,
    )

    async def ages_left(expected: list[tuple[int, int]]) -> bool:
        left = [(r.resolution, T0 - r.bucket_start) for r in await StatRollup.filter(name='gone')]
        return sorted(left) == expected

    async with running(history):
        # At start the minutes not rolled up yet are (a quarter each), then what is past its retention goes: the
        # 3-hour-old minute and the 2-day-old quarter (of a container long removed).
        rolled = [(QUARTER, 90 * 60), (QUARTER, 3 * 3600)]
        await wait_for_async(lambda: ages_left([(MINUTE, 90 * 60), *rolled, (QUARTER, 84600)]), timeout=10)
        wall.at = T0 + 3600  # an hour on: the 90-minute row is past 2 h, the 23.5-hour one past a day
        await wait_for_async(lambda: ages_left(rolled), timeout=10, what='the hourly prune')


async def test_the_last_hour_comes_from_memory_and_the_host_sees_top_consumers_and_stack_totals(
    database: Path, wall: Wall
) -> None:
    recent = RecentSamples()
    history = StatHistory(recent, tick=0.01)
    async with running(history):
        for minute in range(3):
            for tick in range(6):
                at = T0 + minute * MINUTE + tick * 10 + 5
                batch = [
                    sample(at, name='web', cpu=50.0, memory=300 * MB, counters=(int(at - T0) * 10, 0, 0, 0)),
                    sample(at, name='worker', container_id='e' * 64, cpu=150.0, memory=100 * MB),
                    sample(at, name='db', container_id='d' * 64, cpu=5.0, memory=800 * MB, stack='data'),
                ]
                recent.add(batch)
                history.heard(batch)
    wall.at = T0 + 3 * MINUTE + 30
    hour = await history.series('web', '1h')
    by_cpu = await history.top_consumers('24h', 'cpu', limit=2)
    by_memory = await history.top_consumers('1h', 'memory')
    totals = await history.stack_totals('24h')
    recent_totals = await history.stack_totals('1h')
    assert len(hour) == 18 and hour[0].net_rx_rate == 0.0 and hour[1].net_rx_rate == 10.0
    assert [(c.name, c.cpu_avg) for c in by_cpu] == [('worker', 150.0), ('web', 50.0)]
    assert [c.name for c in by_memory] == ['db', 'web', 'worker']
    assert (totals['site'].cpu_avg, totals['site'].memory_max, totals['site'].containers) == (200.0, 400 * MB, 2)
    assert (totals['data'].cpu_avg, totals['data'].containers) == (5.0, 1)
    assert recent_totals == totals


def test_the_retention_settings_are_durations_in_the_stats_section(tmp_path: Path) -> None:
    path = tmp_path / 'homelab.toml'
    path.write_text('[stats]\nkeep_minutes = "2 days"\n')
    with pytest.raises(ConfigError, match=r'stats\.keep_minutes'):
        load_config(path)
    path.write_text('[stats]\nkeep_quarters = "0d"\n')
    with pytest.raises(ConfigError, match='longer than zero'):
        load_config(path)
    path.write_text('[stats]\nkeep_quarters = "90d"\ninterval = "5s"\n')
    stats = load_config(path).stats
    assert (stats.keep_minutes, stats.keep_quarters, stats.interval) == ('48h', '90d', '5s')
