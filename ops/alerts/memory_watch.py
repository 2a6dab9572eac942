"""Memory near its limit: a container using more than the rule's threshold (90 % by default) of its memory limit
in each of the stats collector's batches for the rule's hold time (5 minutes) holds an alert; one below it again,
or no longer running, resolves it. Containers without a limit are never judged."""

from __future__ import annotations

from collections.abc import Callable, Collection

from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.rules import Rule
from ops.alerts.watching import Watcher
from ops.stats.samples import ContainerSample

RULE = Rule.MEMORY_NEAR_LIMIT
DEFAULT_THRESHOLD = 90.0
MIB = 1024 * 1024


class MemoryWatch(Watcher[list[ContainerSample]]):
    """Hears the stats collector's `sampled` batches (every running container, one tick each)."""

    name = 'memory alert watch'

    def __init__(self, keeper: AlertKeeper, *, running: Callable[[], Collection[str]] | None = None) -> None:
        super().__init__()
        self.keeper = keeper
        self.running = running  # the names the observer says are running (a batch may miss one whose read failed)

    async def handle(self, item: list[ContainerSample]) -> None:
        threshold = self.keeper.rules[RULE].threshold or DEFAULT_THRESHOLD
        share = {sample.name: percent for sample in item if (percent := share_of_limit(sample)) is not None}
        near = [_near(s, threshold) for s in item if share.get(s.name, 0.0) > threshold]
        sampled = {sample.name for sample in item}
        still_running = set(self.running()) if self.running is not None else set()

        def covers(name: str) -> bool:
            """Judged this tick: sampled now, or known to be stopped (not merely missing from one batch)."""
            return name in sampled or name not in still_running

        await self.keeper.sync(RULE, near, resolution=lambda name: _resolution(name, share, sampled), covers=covers)


def share_of_limit(sample: ContainerSample) -> float | None:
    """Memory used in percent of the limit (None without a limit)."""
    if not sample.memory_limit_bytes:
        return None
    return 100.0 * sample.memory_bytes / sample.memory_limit_bytes


def _resolution(name: str, share: dict[str, float], running: set[str]) -> str:
    if name in share:
        return f'{name} uses {share[name]:.0f}% of its memory limit'
    return f'{name} has no memory limit now' if name in running else f'{name} is not running'


def _near(sample: ContainerSample, threshold: float) -> Condition:
    # The words and evidence stay the same from tick to tick: an open alert is not rewritten every 10 seconds.
    limit = sample.memory_limit_bytes or 0
    return Condition(
        rule=RULE,
        target=sample.name,
        summary=f'{sample.name} uses more than {threshold:g}% of its {limit / MIB:.0f} MiB memory limit',
        evidence={'memory_limit_bytes': limit, 'threshold_percent': threshold},
        group=sample.stack or '',
    )
