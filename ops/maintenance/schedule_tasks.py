"""What each scheduled task does; every one only proposes: the image check, update candidates, a prune plan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ops.maintenance.schedules import ScheduledTask
from ops.store.models import Action
from ops.world.action_states import OPEN
from ops.world.actions import ActionQueue, Proposal
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
    each image update as it does on its own timer. `engine_known` waits (a while) for the observer to know the
    engine's world: without it nothing can be compared, and the task says so."""

    async def task(actor: str) -> dict[str, Any]:
        if engine_known is not None and not await engine_known():
            return {'skipped': 'the Docker engine is not reachable: nothing was compared'}
        drifts = await evaluate(refresh_images=True)
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


def update_candidates_hook() -> ScheduledTask:
    """HOOK (update candidates, issue 16 item 1): to be `system.update_candidates.refresh` once it exists; until
    then the task says it has nothing to do."""

    async def task(actor: str) -> dict[str, Any]:
        log.info('%s: update candidates are not part of this build yet; nothing to do', actor)
        return {'skipped': 'update candidates are not part of this build yet'}

    return task


@dataclass(frozen=True, kw_only=True, slots=True)
class PrunePreview:
    """What a prune would remove, as a scheduled prune proposes it: the `docker_prune` params (the plan's items),
    the plan shown with the action, how many items and how many bytes they free."""

    params: dict[str, Any]
    plan: dict[str, Any]
    items: int
    frees: int


def prune_hook() -> ScheduledTask:
    """HOOK (housekeeping, issue 16 item 3): to be `prune_proposal(queue, <preview from plan_prune>)` once
    `plan_prune` and `docker_prune` exist; until then the task says it has nothing to do."""

    async def task(actor: str) -> dict[str, Any]:
        log.info('%s: the prune plan is not part of this build yet; nothing to do', actor)
        return {'skipped': 'the prune plan is not part of this build yet'}

    return task


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
        title = f'Prune {plan.items} unused item{"s" if plan.items != 1 else ""} ({_size(plan.frees)})'
        action = await queue.propose(
            Proposal(
                stack=PRUNE_STACK,
                service=None,
                container=None,
                kind='prune',
                key=PRUNE_KEY,
                title=title,
                detail=f'{plan.items} item(s) no stack uses, {_size(plan.frees)} to free',
                operation='docker_prune',
                params=plan.params,
                plan=plan.plan,
            ),
            actor=actor,
            origin='schedule',
        )
        return {'prune': 'proposed', 'action_id': action.id, 'items': plan.items, 'frees': plan.frees}

    return task


def _size(count: int) -> str:
    """Bytes as an operator reads them (as the pages write them): 512 B, 1.5 KiB, 20.3 GiB."""
    value = float(count)
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if value < 1024 or unit == 'GiB':
            return f'{value:.0f} {unit}' if unit == 'B' else f'{value:.1f} {unit}'
        value /= 1024
    return f'{value:.1f} GiB'
