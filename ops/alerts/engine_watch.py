"""The engine's reachability: the observer saying the Docker engine does not answer holds an alert (opened after
the rule's hold time, 30 s by default), its answering again resolves it."""

from __future__ import annotations

from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.rules import Rule
from ops.alerts.watching import Watcher
from ops.log_text import one_line
from ops.world.observer import EngineState

TARGET = 'engine'


class EngineWatch(Watcher[EngineState]):
    """Hears the observer's engine_changed."""

    name = 'engine alert watch'

    def __init__(self, keeper: AlertKeeper) -> None:
        super().__init__()
        self.keeper = keeper

    async def handle(self, item: EngineState) -> None:
        if item.reachable is False:
            error = one_line(item.error or 'no answer', 300)
            await self.keeper.hold(
                Condition(
                    rule=Rule.ENGINE_UNREACHABLE,
                    target=TARGET,
                    summary=f'the Docker engine does not answer: {error}',
                    evidence={'error': error},
                )
            )
        elif item.reachable:
            version = f' (Docker {item.version})' if item.version else ''
            await self.keeper.clear(Rule.ENGINE_UNREACHABLE, TARGET, resolution=f'the engine answers again{version}')
