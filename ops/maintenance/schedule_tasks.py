"""What each scheduled task does; every one only proposes: the image check, update candidates, a prune plan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ops.adapters import Adapters
from ops.maintenance.candidates import UpdateCandidates
from ops.maintenance.prune_plan import PruneOptions, plan_prune
from ops.maintenance.prune_text import plan_lines, size_text
from ops.maintenance.schedules import ScheduledTask
from ops.store.models import Action
from ops.world.action_states import OPEN
from ops.world.actions import ActionQueue, Proposal, Proposer
from ops.world.drift import Drift
from ops.world.observer import Observer

log = logging.getLogger(__name__)

# The subject and key of the one prune action that may be open at a time (not a stack's: a host's housekeeping).
PRUNE_STACK = 'host'
PRUNE_KEY = 'host:prune'


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
    `docker_prune` with the same choices, which plans again and removes exactly what is still unused then."""
    plan = await plan_prune(adapters, PruneOptions.from_config(adapters.config))
    return PrunePreview(
        params={'dry_run': False},
        plan={'steps': plan_lines(plan), 'dry_run': [], 'diff': [], 'error': None},
        items=len(plan.items),
        frees=plan.total_bytes,
    )


def prune_proposal(queue: ActionQueue, preview: Callable[[], Awaitable[PrunePreview]]) -> ScheduledTask:
    """Propose one `docker_prune` action from a fresh plan (unless one is open already, or there is nothing to
    prune); approving it is a person's decision like any other."""

    async def task(actor: str) -> dict[str, Any]:
        open_one = await Action.filter(drift_key=PRUNE_KEY, state__in=OPEN).first()
        if open_one is not None:
            return {'prune': 'already proposed', 'action_id': open_one.id}
        plan = await preview()
        if not plan.items:
            return {'prune': 'nothing to prune'}
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
        return {'prune': 'proposed', 'action_id': action.id, 'items': plan.items, 'frees': plan.frees}

    return task
