"""Planned or not: a container stop inside the window of a run (or an approved action's run) of the console that
targets it was planned. Read from the store, so a run from the CLI (another process) counts as well."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from ops.runs import RunState
from ops.store.models import Run

# After a run ends, what it set in motion still arrives for a while (a restart policy, Compose's own order).
GRACE = timedelta(seconds=30)
# A run's record is written before it acts; the engine's clock and ours may differ a little.
SLACK = timedelta(seconds=2)


@dataclass(frozen=True, kw_only=True, slots=True)
class Subject:
    """The container an engine event is about, as the event named it."""

    id: str
    name: str
    stack: str | None = None
    service: str | None = None


class PlannedWork:
    """Answers "which run planned this?" for the operations that change containers (name -> its timeout in seconds:
    a run still marked running past its timeout was cut off, by a killed process, and plans nothing)."""

    def __init__(self, changing_operations: Mapping[str, float]) -> None:
        self.timeouts = dict(changing_operations)
        self.operations = sorted(self.timeouts)

    async def run_for(self, subject: Subject, at: datetime) -> int | None:
        """The newest changing run whose window (accepted .. ended + GRACE) holds `at` and that targets `subject`."""
        runs = (
            await Run.filter(operation__in=self.operations, created_at__lte=at + SLACK)
            .filter(
                Q(state__in=[RunState.PENDING, RunState.RUNNING]) | Q(finished_at__gte=at - GRACE),
            )
            .order_by('-id')
            .limit(100)
        )
        for run in runs:
            ended = run.finished_at or run.created_at + timedelta(seconds=self.timeouts.get(run.operation, 3600))
            if ended + GRACE >= at and targets(run.params or {}, subject):
                return run.id
        return None


def targets(params: Mapping[str, Any], subject: Subject) -> bool:
    """Whether a run with these arguments acts on the container: named (by name, id or id prefix), or its stack
    (and service), or every managed stack (a stack operation without one)."""
    container = params.get('container')
    if isinstance(container, str) and container:
        return container in (subject.name, subject.id) or (len(container) >= 12 and subject.id.startswith(container))
    if 'stack' not in params:
        return False
    stack, service = params.get('stack'), params.get('service')
    if not stack:
        return subject.stack is not None
    return stack == subject.stack and (not service or service == subject.service)
