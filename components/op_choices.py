"""Where an operation's arguments come from: the containers the observer sees and the operator's config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops.config import HomelabConfig
from ops.params import WorldSource
from ops.world.observer import Observer


@dataclass(frozen=True, slots=True)
class WorldChoices:
    """The current choices from one source of the world (see ops.params.FromWorld), given what else the form says
    (a service belongs to a stack)."""

    observer: Observer
    config: HomelabConfig

    def options(self, source: WorldSource, values: dict[str, Any]) -> list[str]:
        """The values an argument marked FromWorld(source) may take now."""
        if source == 'container':
            return sorted(info.name for info in self.observer.containers.values())
        if source == 'stack':
            return sorted(self.config.stacks)
        if source == 'service':
            stack = values.get('stack')
            seen = {info.service for info in self.observer.containers.values() if info.stack == stack and info.service}
            return sorted(seen)
        if source == 'unit':
            return list(self.config.journal.units)
        return sorted(self.config.probes)
