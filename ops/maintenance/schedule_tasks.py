"""What each scheduled task does; every one only proposes: the image check, update candidates, a prune plan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ops.adapters import Adapters
from ops.clock import utc_now
from ops.maintenance.candidates import UpdateCandidates
from ops.maintenance.prune_plan import PruneOptions, plan_prune
from ops.maintenance.prune_run import MAX_APPROVED
from ops.maintenance.prune_text import plan_lines
from ops.maintenance.schedules import ScheduledTask
from ops.sizes import size_text
from ops.store.models import Action
from ops.world.action_states import OPEN, ActionState
from ops.world.actions import ActionQueue, Proposal, Proposer
from ops.world.drift import Drift
from ops.world.observer import Observer

log = logging.getLogger(__name__)

# The subject and key of the one prune action that may be open at a time (not a stack's: a host's housekeeping).
PRUNE_STACK = 'host'
PRUNE_KEY = 'host:prune'
# A prune proposal left pending this long is replaced by the next scheduled run's, with a fresh plan: what it lists
# is what the engine held then, and the approver should decide on what is there now.
PRUNE_STALE_AFTER = timedelta(days=1)


def image_check(
    evaluate: Callable[..., Awaitable[list[Drift]]], *, engine_known: Callable[[], Awaitable[bool]] | None = None
) -> ScheduledTask:
    """Ask the registries for newer digests now (`supervisor.evaluate(refresh_images=True)`): the drift loop proposes
    each image update as it does on its own timer, audited as proposed by the schedule (actor `schedule:<name>`,
    origin 'schedule') when this check found it. `engine_known` waits (a while) for the observer to know the
    engine's world: without it nothing can be compared, and the task says so."""

    async def task(actor: str) -> dict[str, Any]:
        if engine_known is not None and not await engine_known():
            return {'skipped': 'the Docker engine is not reachable: nothing was compared'}
        drifts = await evaluate(refresh_images=True, proposer=Proposer(actor=actor, origin='schedule'))
        return {'image_updates': sorted(f'{d.stack}/{d.subject}' for d in drifts if d.kind == 'image')}

    return task


async def engine_reachable(observer: Observer, *, timeout: float) -> bool:
    """Whether the observer reaches the engine (its world listed), waiting up to `timeout` seconds for it: a console
    that just started makes up a missed time before its first listing."""
    if observer.engine_state.reachable is True:
        return True
    reached = asyncio.Event()
    stop = observer.engine_changed.subscribe(lambda state: reached.set() if state.reachable else None)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reached.wait(), timeout=timeout)
    finally:
        stop()
    return bool(observer.engine_state.reachable)  # (changed meanwhile, by the subscriber)


def candidates_check(candidates: UpdateCandidates) -> ScheduledTask:
    """Ask the registries for newer version tags of every pinned service (`system.update_candidates.refresh`): the
    Maintenance page shows them; nothing changes until the owner commits a diff."""

    async def task(actor: str) -> dict[str, Any]:
        report = await candidates.refresh(actor)
        return {
            'candidates': sorted(
                f'{row.stack}/{row.service} {row.current} -> {row.candidates[0].tag}'
                for row in report.services
                if row.candidates
            ),
            'errors': sorted(f'{row.stack}/{row.service}' for row in report.services if row.error),
        }

    return task


@dataclass(frozen=True, kw_only=True, slots=True)
class PrunePreview:
    """What a prune would remove, as a scheduled prune proposes it: the `docker_prune` params (the plan's items),
    the plan shown with the action, how many items and how many bytes they free."""

    params: dict[str, Any]
    plan: dict[str, Any]
    items: int
    frees: int


async def prune_preview(adapters: Adapters) -> PrunePreview:
    """A fresh dry-run plan with the configured choices, as a scheduled prune proposes it: approving the action runs
    `docker_prune` with the same choices and `only` the ids of the items shown, so it removes those of them still
    unused then, and nothing that qualifies only since. A plan longer than one prune may name is proposed in parts."""
    full = await plan_prune(adapters, PruneOptions.from_config(adapters.config))
    plan = replace(full, items=full.items[:MAX_APPROVED])
    steps = plan_lines(plan)
    if len(full.items) > len(plan.items):
        steps.append(f'note: the first {len(plan.items)} of {len(full.items)} items; the rest at a later run')
    return PrunePreview(
        params={'dry_run': False, 'only': [item.id for item in plan.items]},
        plan={'steps': steps, 'dry_run': [], 'diff': [], 'error': None},
        items=len(plan.items),
        frees=plan.total_bytes,
    )


def prune_proposal(
    queue: ActionQueue,
    preview: Callable[[], Awaitable[PrunePreview]],
    *,
    now: Callable[[], datetime] = utc_now,
) -> ScheduledTask:
    """Propose one `docker_prune` action from a fresh plan (unless one is open already, or there is nothing to
    prune); approving it is a person's decision like any other. A proposal pending longer than PRUNE_STALE_AFTER
    is superseded by a fresh one."""

    async def task(actor: str) -> dict[str, Any]:
        superseded: dict[str, Any] = {}
        open_one = await Action.filter(drift_key=PRUNE_KEY, state__in=OPEN).first()
        if open_one is not None:
            stale = open_one.state is ActionState.PENDING and now() - open_one.created_at >= PRUNE_STALE_AFTER
            if not stale or not await queue.supersede(open_one, actor=actor):
                return {'prune': 'already proposed', 'action_id': open_one.id}
            superseded = {'superseded': open_one.id}
        plan = await preview()
        if not plan.items:
            return {'prune': 'nothing to prune', **superseded}
        title = f'Prune {plan.items} unused item{"s" if plan.items != 1 else ""} ({size_text(plan.frees)})'
        action = await queue.propose(
            Proposal(
                stack=PRUNE_STACK,
                service=None,
                container=None,
                kind='prune',
                key=PRUNE_KEY,
                title=title,
                detail=f'{plan.items} item(s) no stack uses, {size_text(plan.frees)} to free',
                operation='docker_prune',
                params=plan.params,
                plan=plan.plan,
            ),
            actor=actor,
            origin='schedule',
        )
        return {'prune': 'proposed', 'action_id': action.id, 'items': plan.items, 'frees': plan.frees, **superseded}

    return task
