"""Where an operation's arguments come from: the containers the observer sees and the operator's config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops.config import HomelabConfig
from ops.world.observer import Observer

# Fields whose values are chosen from the world, never typed: the manager would refuse anything else anyway.
CHOICE_FIELDS = frozenset({'container', 'stack', 'service', 'unit', 'target'})


@dataclass(frozen=True, slots=True)
class WorldChoices:
    """The current choices for a field, given what else the form says (a service belongs to a stack)."""

    observer: Observer
    config: HomelabConfig

    def options(self, field: str, values: dict[str, Any]) -> list[str] | None:
        """The allowed values of `field`, or None when the field is not one chosen from the world."""
        if field == 'container':
            return sorted(info.name for info in self.observer.containers.values())
        if field == 'stack':
            return sorted(self.config.stacks)
        if field == 'service':
            stack = values.get('stack')
            seen = {info.service for info in self.observer.containers.values() if info.stack == stack and info.service}
            return sorted(seen)
        if field == 'unit':
            return list(self.config.journal.units)
        if field == 'target':
            return sorted(self.config.probes)
        return None
