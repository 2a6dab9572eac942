"""A run's lifecycle: its states and the typed events the manager publishes about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ops.bus import Event
from ops.run_context import Progress


class RunState(StrEnum):
    PENDING = 'pending'
    RUNNING = 'running'
    SUCCEEDED = 'succeeded'
    FAILED = 'failed'
    TIMED_OUT = 'timed_out'
    CANCELLED = 'cancelled'
    REJECTED = 'rejected'
    INTERRUPTED = 'interrupted'

    @property
    def finished(self) -> bool:
        return self not in {RunState.PENDING, RunState.RUNNING}


@dataclass(frozen=True, kw_only=True, slots=True)
class RunUpdate:
    """A run changed state; `finished` runs carry their error (if any)."""

    run_id: int
    operation: str
    state: RunState
    actor: str
    origin: str
    error: str | None = None


@dataclass(frozen=True, eq=False, slots=True)
class RunStream:
    """One run's own events, from its acceptance to its end: a view of that run follows these, not every run's."""

    changed: Event[RunUpdate] = field(default_factory=Event)
    line: Event[str] = field(default_factory=Event)
    progress: Event[Progress] = field(default_factory=Event)


@dataclass(frozen=True, kw_only=True, slots=True)
class RunOutcome:
    """How a run ended, as the CLI and API report it."""

    run_id: int
    operation: str
    state: RunState
    error: str | None
    result: dict[str, Any] | None
    output: str
    dropped_lines: int
    joined_run_id: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.state is RunState.SUCCEEDED
