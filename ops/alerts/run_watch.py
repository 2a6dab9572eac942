"""Failed runs: a run that failed or timed out raises an alert about its operation on its target, until a later run
of the same operation on the same target succeeds. Read from the runs table, so runs of the CLI count as well."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.rules import Rule
from ops.alerts.watching import Watcher
from ops.clock import utc_now
from ops.log_text import one_line
from ops.runs import RunState, RunUpdate
from ops.store.models import Run

EVERY = 5.0  # seconds between looks at the runs table (a run of this process wakes it at once)
LOOKBACK = timedelta(days=1)  # at start: what ended this long ago still counts (older failures were told)
BATCH = 500
FAILING = (RunState.FAILED, RunState.TIMED_OUT)
_FIELDS = ('id', 'operation', 'params', 'actor', 'origin', 'state', 'finished_at', 'error')
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RunWatch(Watcher[None]):
    """Follows the runs table by id: new runs, and the ones seen unfinished until they end."""

    name = 'run alert watch'

    def __init__(self, keeper: AlertKeeper, *, every: float = EVERY, lookback: timedelta = LOOKBACK) -> None:
        super().__init__()
        self.keeper = keeper
        self.every = every
        self.lookback = lookback
        self._seen: int | None = None  # the highest run id looked at
        self._unfinished: set[int] = set()

    def run_changed(self, update: RunUpdate) -> None:
        """The manager's subscriber: a run of this process ended, look now."""
        if update.state.finished:
            self.wake()

    async def look(self) -> None:
        runs = await self._new_runs()
        if self._unfinished:
            runs += await Run.filter(id__in=sorted(self._unfinished)).only(*_FIELDS)
        ended: list[Run] = []
        for run in runs:
            if run.state.finished:
                self._unfinished.discard(run.id)
                ended.append(run)
            else:
                self._unfinished.add(run.id)
        # Only the last ending per subject counts: a failure followed by a success raises nothing.
        last: dict[str, Run] = {}
        for run in sorted(ended, key=lambda r: (r.finished_at or _EPOCH, r.id)):
            # An approved action's run that failed is the action's alert (action_failed), not a second one.
            if (run.state in FAILING and run.origin != 'action') or run.state is RunState.SUCCEEDED:
                last[run_target(run.operation, run.params or {})] = run
        for target, run in last.items():
            if run.state is RunState.SUCCEEDED:
                await self.keeper.clear(
                    Rule.RUN_FAILED, target, resolution=f'run #{run.id} of {run.operation} succeeded ({run.actor})'
                )
            else:
                await self.keeper.hold(failed(target, run))

    async def _new_runs(self) -> list[Run]:
        if self._seen is None:  # the first look: what ended lately, and where the table ends
            runs = await Run.filter(created_at__gte=utc_now() - self.lookback).order_by('id').only(*_FIELDS)
            going = await Run.filter(state__in=[RunState.PENDING, RunState.RUNNING]).only('id')
            self._unfinished.update(run.id for run in going)  # however long ago they began
            newest = await Run.all().order_by('-id').first().only('id')
            self._seen = max([r.id for r in runs] + [newest.id if newest is not None else 0])
            return list(runs)
        found: list[Run] = []
        while True:
            batch = await Run.filter(id__gt=self._seen).order_by('id').limit(BATCH).only(*_FIELDS)
            found += batch
            if batch:
                self._seen = batch[-1].id
            if len(batch) < BATCH:
                return found


def failed(target: str, run: Run) -> Condition:
    """The alert's words and evidence for a run that failed or timed out."""
    how = 'timed out' if run.state is RunState.TIMED_OUT else 'failed'
    error = one_line(run.error or '', 300)
    return Condition(
        rule=Rule.RUN_FAILED,
        target=target,
        summary=f'{target} {how}' + (f': {error}' if error else ''),
        evidence={'run_id': run.id, 'state': run.state.value, 'error': error, 'actor': run.actor},
    )


def run_target(operation: str, params: Mapping[str, Any]) -> str:
    """'docker_restart homelab-dev-web-1', 'stack_service_up media/jellyfin'; the operation alone without one."""
    for key in ('container', 'stack', 'unit'):
        value = params.get(key)
        if isinstance(value, str) and value:
            service = params.get('service') if key == 'stack' else None
            where = f'{value}/{service}' if isinstance(service, str) and service else value
            return one_line(f'{operation} {where}', 255)
    return one_line(operation, 255)
