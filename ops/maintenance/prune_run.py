"""Carrying out a prune plan: each item re-checked just before its removal by full id; what was skipped and why."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ops.docker.engine import Engine, EngineError, ImageInUse
from ops.maintenance.prune_plan import PruneItem, PruneKind, PruneOptions, PrunePlan
from ops.maintenance.prune_rules import (
    Kept,
    PruneScope,
    container_prunable,
    image_old_and_tagged,
    is_dangling,
    network_prunable,
    networks_of,
)

# Why an item a plan lists now was left: the approved preview did not show it (it qualifies only since).
NOT_APPROVED = 'not in the approved plan'
# The most items one approved prune names (docker_prune's `only`); a longer plan is approved in parts.
MAX_APPROVED = 1000


@dataclass(kw_only=True)
class PruneOutcome:
    """What a prune removed (and the space that freed) and what it skipped, each with the reason."""

    removed: list[PruneItem] = field(default_factory=list)
    skipped: list[tuple[PruneItem, str]] = field(default_factory=list)
    freed_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            'removed': [item.as_dict() for item in self.removed],
            'skipped': [{**item.as_dict(), 'reason': reason} for item, reason in self.skipped],
            'freed_bytes': self.freed_bytes,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Recheck:
    """What the re-check before each removal compares with: the plan's own rules and inputs (what the plan kept, the
    images the stacks' files name among it, comes with the plan: `PrunePlan.kept`)."""

    options: PruneOptions
    scope: PruneScope
    configured_stacks: frozenset[str]


OnItem = Callable[[int, PruneItem, str | None], object]  # (position, item, why it was skipped or None)


def approved_part(plan: PrunePlan, only: tuple[str, ...] | None) -> tuple[PrunePlan, list[PruneItem], list[str]]:
    """The part of a fresh plan a prune may remove: with `only` (the ids of the items the approved preview showed),
    just those; also the items left (not approved) and the approved ids the plan no longer lists."""
    if only is None:
        return plan, [], []
    wanted = set(only)
    approved = [item for item in plan.items if item.id in wanted]
    left = [item for item in plan.items if item.id not in wanted]
    planned = {item.id for item in plan.items}
    vanished = [item_id for item_id in dict.fromkeys(only) if item_id not in planned]
    return replace(plan, items=tuple(approved)), left, vanished


async def carry_out(plan: PrunePlan, engine: Engine, recheck: Recheck, on_item: OnItem) -> PruneOutcome:
    """Remove the plan's items in order, each only if it still qualifies (checked a moment before its removal)."""
    outcome = PruneOutcome()
    for position, item in enumerate(plan.items, start=1):
        try:
            reason, freed = await asyncio.to_thread(_remove_one, engine, item, recheck, plan.kept)
        except EngineError as err:
            reason, freed = f'the engine refused: {err}', 0
        if reason is None:
            outcome.removed.append(item)
            outcome.freed_bytes += freed
        else:
            outcome.skipped.append((item, reason))
        on_item(position, item, reason)
    return outcome


def _remove_one(engine: Engine, item: PruneItem, recheck: Recheck, kept: Kept) -> tuple[str | None, int]:
    """Re-check one item against the engine now and remove it; (why it was skipped, or None; the bytes freed)."""
    if item.kind is PruneKind.STOPPED_CONTAINER:
        return _container(engine, item, recheck)
    if item.kind in (PruneKind.DANGLING_IMAGE, PruneKind.UNUSED_IMAGE):
        return _image(engine, item, recheck, kept)
    if item.kind is PruneKind.UNUSED_NETWORK:
        return _network(engine, item, recheck, kept)
    # The build prune API itself removes only records no build uses: that is its re-check. Only what the engine
    # says it deleted counts.
    deleted, freed = engine.delete_build_cache(item.id)
    return (None, freed) if deleted else ('the engine did not remove it (a build uses it, or it is gone)', 0)


def _container(engine: Engine, item: PruneItem, recheck: Recheck) -> tuple[str | None, int]:
    now = [c for c in engine.container_summaries(id=item.id) if c.get('Id') == item.id]
    if not now:
        return 'already gone', 0
    if not container_prunable(now[0], recheck.scope, recheck.configured_stacks, time.time()):
        return f'no longer a stopped container of no configured stack (now {now[0].get("State")})', 0
    engine.delete_stopped_container(item.id)
    return None, item.size


def _image(engine: Engine, item: PruneItem, recheck: Recheck, kept: Kept) -> tuple[str | None, int]:
    image = engine.image(item.id)
    if image is None:
        return 'already gone', 0
    users = [c for c in engine.container_summaries(ancestor=item.id) if c.get('ImageID') == item.id]
    if users:
        names = ', '.join(str((c.get('Names') or ['?'])[0]).lstrip('/') for c in users[:3])
        return f'now used by a container ({names})', 0
    tags = list(image.get('RepoTags') or [])
    labels = (image.get('Config') or {}).get('Labels')
    if not recheck.scope.allows(labels):
        return 'no longer in scope', 0
    if item.kind is PruneKind.DANGLING_IMAGE and not is_dangling(tags):
        return f'tagged since the plan ({", ".join(tags)})', 0
    if item.kind is PruneKind.UNUSED_IMAGE and not image_old_and_tagged(
        tags, _created(image), recheck.options.older_than_seconds, time.time()
    ):
        return f'its tags changed since the plan ({", ".join(tags) or "none"})', 0
    if why := kept.image_why(item.id, tags, image.get('RepoDigests')):
        return f'kept: {why}', 0
    try:
        engine.delete_image(item.id, tags=tags, digests=list(image.get('RepoDigests') or []))
    except ImageInUse as err:  # the engine's own check, a moment later: a container was made from it meanwhile
        return f'in use: {err}', 0
    return None, item.size


def _network(engine: Engine, item: PruneItem, recheck: Recheck, kept: Kept) -> tuple[str | None, int]:
    network = engine.network(item.id)
    if network is None:
        return 'already gone', 0
    if not recheck.scope.allows(network.get('Labels')):
        return 'no longer in scope', 0
    if not network_prunable(network, networks_of(engine.container_summaries(network=item.id)), recheck.scope):
        return 'now used by a container', 0
    if why := kept.network_why(network, recheck.configured_stacks):
        return f'kept: {why}', 0
    engine.delete_network(item.id)
    return None, 0


def _created(image: dict[str, Any]) -> int:
    """An image's creation time (inspect says RFC 3339 with nanoseconds) as unix seconds; 0 when unreadable."""
    text = str(image.get('Created') or '')
    try:
        return int(datetime.fromisoformat(text[:19] + '+00:00').timestamp()) if text else 0
    except ValueError:
        return 0
