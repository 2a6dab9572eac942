"""The maintenance picture other dashboards read in `/summary`: the windows, the open or next one, what waits for
it and when each schedule runs next."""

from __future__ import annotations

from typing import Any

from ops.maintenance.policy import AutoApproval
from ops.maintenance.schedules import Scheduler


async def maintenance_status(policy: AutoApproval, scheduler: Scheduler) -> dict[str, Any]:
    """`inside` is the window open now (null outside), `next` the next to open; `waiting` the ids of the pending
    actions an auto-approve policy holds for it."""
    windows = policy.windows
    now = windows.now()
    inside, following = windows.inside(now), windows.next_opening(now)
    waiting = await policy.waiting()
    return {
        'windows': list(windows.texts),
        'inside': inside.as_json() if inside else None,
        'next': following.as_json() if following else None,
        'waiting': [action.id for action in waiting],
        'schedules': [
            {'name': run.name, 'task': run.task, 'next': run.at.isoformat()} for run in scheduler.next_runs(now)
        ],
    }
