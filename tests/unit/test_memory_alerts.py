"""The memory_near_limit alert on a real store, fed the stats collector's batches: a container above the threshold
of its limit for the hold time opens one warning, a dip below starts the hold again, and one below its threshold
again or no longer running resolves it; a container without a limit is never judged."""

from __future__ import annotations

from ops.alerts.keeper import AlertKeeper
from ops.alerts.memory_watch import MemoryWatch
from ops.alerts.records import Alert, AlertState
from ops.alerts.rules import AlertSeverity, Rule, RuleBook
from ops.config import AlertsConfig, RuleConfig
from ops.stats.samples import ContainerSample
from tests.helpers.login_page import Clock

MIB = 1024 * 1024
OPEN, RESOLVED = AlertState.OPEN, AlertState.RESOLVED
RULE = Rule.MEMORY_NEAR_LIMIT


def keeper(**rules: RuleConfig) -> AlertKeeper:
    return AlertKeeper(RuleBook(AlertsConfig(group_window='0s', rules=rules), []))  # type: ignore[arg-type]


def sample(name: str, used_mib: float, limit_mib: int | None, *, at: float = 0.0) -> ContainerSample:
    return ContainerSample(
        container_id=name * 4, name=name, stack='media', at=at, cpu_percent=1.0, memory_bytes=int(used_mib * MIB),
        memory_limit_bytes=limit_mib * MIB if limit_mib else None, net_rx_bytes=0, net_tx_bytes=0,
        block_read_bytes=0, block_write_bytes=0, pids=3,
    )  # fmt: skip


async def alerts() -> list[tuple[str, AlertState]]:
    return [(a.target, a.state) for a in await Alert.filter(rule=RULE).order_by('id')]


async def test_memory_above_90_percent_of_the_limit_for_five_minutes_opens_one_warning(
    store: None, clock: Clock
) -> None:
    keeper_ = keeper()
    watch = MemoryWatch(keeper_)
    batch = [sample('media-jellyfin-1', 470, 512), sample('media-web-1', 100, 512), sample('db-1', 9000, None)]
    await watch.handle(batch)
    clock.now += 4 * 60 + 59
    await watch.handle(batch)
    await keeper_.tick()
    assert await alerts() == []
    clock.now += 2
    await watch.handle(batch)
    await keeper_.tick()
    [alert] = keeper_.open_alerts()
    assert (alert.rule, alert.target, alert.severity) == (RULE, 'media-jellyfin-1', AlertSeverity.WARNING)
    assert alert.summary == 'media-jellyfin-1 uses more than 90% of its 512 MiB memory limit'
    assert alert.group == 'media'
    for _ in range(3):  # the same words each tick: the alert is not rewritten
        await watch.handle(batch)
    assert (await Alert.get(id=alert.id)).updates == 0
    await watch.handle([sample('media-jellyfin-1', 300, 512), *batch[1:]])
    assert await alerts() == [('media-jellyfin-1', RESOLVED)]
    assert (await Alert.get(id=alert.id)).resolution == 'media-jellyfin-1 uses 59% of its memory limit'


async def test_a_dip_below_the_threshold_starts_the_hold_time_again(store: None, clock: Clock) -> None:
    keeper_ = keeper()
    watch = MemoryWatch(keeper_)
    for used in (500, 500, 400, 500, 500):  # one tick a minute; the third is below 90 %
        await watch.handle([sample('media-jellyfin-1', used, 512)])
        clock.now += 60
        await keeper_.tick()
    assert await alerts() == []
    clock.now += 3 * 60
    await keeper_.tick()
    assert await alerts() == [('media-jellyfin-1', OPEN)]


async def test_a_container_that_stops_or_loses_its_limit_resolves_its_alert(store: None, clock: Clock) -> None:
    keeper_ = keeper()
    watch = MemoryWatch(keeper_)
    await watch.handle([sample('media-jellyfin-1', 500, 512), sample('media-web-1', 500, 512)])
    clock.now += 301
    await keeper_.tick()
    assert sorted(await alerts()) == [('media-jellyfin-1', OPEN), ('media-web-1', OPEN)]
    await watch.handle([sample('media-web-1', 500, 512)])  # the collector's batches hold running containers only
    assert await alerts() == [('media-jellyfin-1', RESOLVED), ('media-web-1', OPEN)]
    [gone] = await Alert.filter(target='media-jellyfin-1')
    assert gone.resolution == 'media-jellyfin-1 is not running'
    await watch.handle([sample('media-web-1', 500, None)])  # recreated without a limit
    assert await alerts() == [('media-jellyfin-1', RESOLVED), ('media-web-1', RESOLVED)]
    [unlimited] = await Alert.filter(target='media-web-1')
    assert unlimited.resolution == 'media-web-1 has no memory limit now'
    await watch.handle([])
    clock.now += 3600
    await keeper_.tick()
    assert len(await alerts()) == 2


async def test_the_threshold_and_hold_time_come_from_the_toml_and_a_rule_switched_off_opens_nothing(
    store: None, clock: Clock
) -> None:
    strict = keeper(memory_near_limit=RuleConfig(threshold=50, after='1m', severity='critical'))
    watch = MemoryWatch(strict)
    await watch.handle([sample('media-jellyfin-1', 300, 512), sample('media-web-1', 200, 512)])
    clock.now += 61
    await strict.tick()
    assert [(a.target, a.severity) for a in strict.open_alerts()] == [('media-jellyfin-1', AlertSeverity.CRITICAL)]
    assert strict.open_alerts()[0].summary == 'media-jellyfin-1 uses more than 50% of its 512 MiB memory limit'
    off = keeper(memory_near_limit=RuleConfig(enabled=False))
    watch = MemoryWatch(off)
    await watch.handle([sample('media-web-1', 511, 512)])
    clock.now += 3600
    await off.tick()
    assert off.open_alerts() == []


def test_the_rule_ships_on_as_a_warning_at_90_percent_for_five_minutes() -> None:
    settings = RuleBook(AlertsConfig(), [])[RULE]
    assert (settings.enabled, settings.severity, settings.threshold, settings.after) == (
        True,
        AlertSeverity.WARNING,
        90,
        300.0,
    )


async def test_a_sample_missing_from_one_batch_of_a_running_container_keeps_its_alert(
    store: None, clock: Clock
) -> None:
    keeper_ = keeper(memory_near_limit=RuleConfig(after='0s'))
    running = {'media-jellyfin-1'}
    watch = MemoryWatch(keeper_, running=lambda: running)
    await watch.handle([sample('media-jellyfin-1', 500, 512)])
    await watch.handle([])  # its read failed this tick (an engine timeout): it still runs, nothing is known
    assert await alerts() == [('media-jellyfin-1', OPEN)]
    running.clear()
    await watch.handle([])
    [alert] = await Alert.filter(rule=RULE)
    assert alert.state is RESOLVED and alert.resolution == 'media-jellyfin-1 is not running'
