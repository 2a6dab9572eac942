"""`homelab` with the stats stand-ins (`python -m tests.helpers.stats_console serve`): a collector that samples the
observer's running containers every second with made-up numbers, and a month of made-up history, so the browser
tests see live rows and full charts at once."""

from __future__ import annotations

import asyncio
import math
import time
import zlib
from typing import Any

from app.system import System
from ops.docker.containers import ContainerState
from ops.world.observer import Observer
from tests.helpers.stats_stand_in import (
    MIB,
    Consumer,
    StackTotal,
    StandInCollector,
    StandIns,
    StandInStatHistory,
    install,
    sample,
)

INTERVAL = 1.0
BACKFILL = 90  # ticks of 10 s before the first real one


class TickingCollector(StandInCollector):
    """A batch every INTERVAL for the observer's running containers, each number moving a little every tick."""

    def __init__(self) -> None:
        super().__init__()
        self.observer: Observer | None = None
        self._running = False

    async def run(self) -> None:
        if self._running:  # a System that starts its `stats` itself, and this module's start, both ask
            return
        self._running = True
        backfilled = False
        while self.observer is not None:
            now = time.time()
            running = [info for info in self.observer.containers.values() if info.state == ContainerState.RUNNING]
            if running and not backfilled:  # the sparklines' 15 minutes at once, as after a while of collecting
                backfilled = True
                for back in range(BACKFILL, 0, -1):
                    self.recent.add([_made_up(info.id, info.name, info.stack, now - back * 10) for info in running])
            self.feed([_made_up(info.id, info.name, info.stack, now) for info in running])
            await asyncio.sleep(INTERVAL)


def _made_up(container_id: str, name: str, stack: str | None, now: float) -> Any:
    seed = zlib.crc32(name.encode()) % 100
    cpu = max(0.0, (seed % 7) * 3 + 4 * math.sin(now / 5 + seed) + 2 * math.sin(now / 1.7))
    memory = int((20 + seed * 3 + 4 * math.sin(now / 9 + seed)) * MIB)
    return sample(container_id, name, stack, cpu=round(cpu, 2), memory=memory, at=now)


def main() -> int:
    collector = TickingCollector()
    history = StandInStatHistory(
        consumers=[
            Consumer('homelab-dev-sick-1', 'homelab-dev', 9.5, 230 * MIB),
            Consumer('homelab-dev-web-1', 'homelab-dev', 4.1, 220 * MIB),
            Consumer('homelab-dev-registry-app-1', 'homelab-dev', 0.8, 170 * MIB),
        ],
        stacks={'homelab-dev': StackTotal(21.0, 780 * MIB)},
    )
    install(StandIns(stats=collector, stat_history=history))
    init, start = System.__init__, System.start

    def observed(self: System, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        collector.observer = self.observer

    async def started(self: System) -> None:
        await start(self)
        self._tasks.append(asyncio.create_task(collector.run(), name='stand-in-stats'))

    System.__init__ = observed  # type: ignore[method-assign]
    System.start = started  # type: ignore[method-assign]
    from app.cli import main as homelab

    return homelab()


if __name__ == '__main__':
    raise SystemExit(main())
