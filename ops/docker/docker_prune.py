"""docker_prune: remove what a prune plan lists (stopped containers, images, networks, build cache), or preview it."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from ops.config import HomelabConfig, parse_duration
from ops.descriptions import Description, OperationGroup
from ops.maintenance.prune_plan import PruneItem, PruneKind, PruneOptions, PrunePlan, plan_prune
from ops.maintenance.prune_rules import PruneScope
from ops.maintenance.prune_run import MAX_APPROVED, NOT_APPROVED, Recheck, approved_part, carry_out
from ops.maintenance.prune_text import plan_lines
from ops.params import StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.sizes import size_text
from ops.supervision import Supervision

PRUNE_TIMEOUT = 900
HOUSEKEEPING_LOCK = 'housekeeping'
# An age like 7d, 12h or 90m.
Age = Annotated[str, StringConstraints(pattern=r'^\d{1,5}[smhd]$')]
# A label an item must carry: `key` or `key=value` (no spaces, no quotes).
LabelFilter = Annotated[
    str, StringConstraints(pattern=r'^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,127}(=[A-Za-z0-9_.:/@+\-]{0,255})?$')
]
# A plan item's full id: an image's `sha256:<64 hex>`, a container's or network's 64 hex, a build cache record's id.
_PLANNED_ID = re.compile(r'^(sha256:[0-9a-f]{64}|[0-9a-f]{64}|[a-z0-9]{20,64})$')


def _planned_id(value: str) -> str:
    if not _PLANNED_ID.fullmatch(value):
        raise ValueError(
            "not a planned item's full id (an image's sha256:<64 hex>, a container's or network's 64 hex digits, "
            "a build cache record's id)"
        )
    return value


PlannedId = Annotated[str, StringConstraints(max_length=71), AfterValidator(_planned_id)]


class Params(StrictParams):
    """What to look for; `dry_run` (the default) only lists it. `older_than` is the age of an unused image
    ([maintenance] prune_images_older_than when not given); `label` limits the prune to items carrying it; `only`
    (the full ids of the items a preview showed) limits a prune to those: what qualifies only since is left."""

    dry_run: bool = True
    stopped_containers: bool = True
    dangling_images: bool = True
    unused_images: bool = True
    older_than: Age | None = None
    unused_networks: bool = True
    build_cache: bool = True
    label: LabelFilter | None = None
    only: tuple[PlannedId, ...] | None = Field(default=None, max_length=MAX_APPROVED)


def options_of(params: Params, config: HomelabConfig) -> PruneOptions:
    """The plan options these arguments ask for."""
    chosen = {
        PruneKind.STOPPED_CONTAINER: params.stopped_containers,
        PruneKind.DANGLING_IMAGE: params.dangling_images,
        PruneKind.UNUSED_IMAGE: params.unused_images,
        PruneKind.UNUSED_NETWORK: params.unused_networks,
        PruneKind.BUILD_CACHE: params.build_cache,
    }
    options = PruneOptions.from_config(config, kinds=frozenset(kind for kind, wanted in chosen.items() if wanted))
    if params.older_than is not None:
        options = replace(options, older_than_seconds=parse_duration(params.older_than))
    return replace(options, label=params.label)


@operation(
    'docker_prune',
    summary='Remove stopped containers of no configured stack, dangling and old unused images, unused networks and '
    'build cache; a dry run lists them with the space each frees. Volumes are never pruned',
    params=Params,
    described=Description(
        'Prune Docker leftovers',
        OperationGroup.HOUSEKEEPING,
        'cleaning_services',
        consequence='What a plan computed now lists is removed (with `only`: just those of its items the preview '
        'showed), each item re-checked just before (unless dry_run is on: then it is only listed). Volumes are '
        'never touched.',
    ),
    # One prune at a time (a preview too: it would list what the running prune is removing).
    supervised=Supervision(
        mutating=True, confirm=True, timeout=PRUNE_TIMEOUT, pool='docker', lock=lambda params: HOUSEKEEPING_LOCK
    ),
)
async def docker_prune(params: Params, ctx: RunContext) -> Result:
    """Plan now; a dry run returns the plan, a prune removes exactly its items (re-checked; with `only`, just the
    approved ones) and says what it skipped and why."""
    adapters = ctx.adapters
    options = options_of(params, adapters.config)
    plan = await plan_prune(adapters, options)
    for line in plan_lines(plan):
        ctx.log(line)
    if params.dry_run:
        return {'dry_run': True, 'plan': plan.as_dict()}
    return await _prune(plan, options, params.only, ctx)


async def _prune(plan: PrunePlan, options: PruneOptions, only: tuple[str, ...] | None, ctx: RunContext) -> Result:
    adapters = ctx.adapters
    approved, left, vanished = approved_part(plan, only)
    for item in left:
        ctx.log(f'left {item.kind.value} {item.name}: {NOT_APPROVED}')
    if vanished:
        ctx.log(f'{len(vanished)} approved item(s) the plan no longer lists (gone, or no longer qualifying)')
    recheck = Recheck(
        options=options,
        scope=PruneScope.of(adapters, options.label),
        configured_stacks=frozenset(adapters.config.stacks),
    )
    total = len(approved.items)
    ctx.progress('prune', 'Removing', 0, total or None)

    def done(position: int, item: PruneItem, reason: str | None) -> None:
        ctx.log(f'removed {item.kind.value} {item.name}' if reason is None else f'skipped {item.name}: {reason}')
        ctx.progress('prune', 'Removing', position, total or None, status=item.name)

    outcome = await carry_out(approved, adapters.engine, recheck, done)
    outcome.skipped += [(item, NOT_APPROVED) for item in left]
    ctx.log(
        f'removed {len(outcome.removed)} of {total} item(s), freed {size_text(outcome.freed_bytes)}; '
        f'skipped {len(outcome.skipped)}'
    )
    result = {'dry_run': False, 'plan': plan.as_dict(), **outcome.as_dict()}
    if only is not None:
        result['approved_not_planned'] = vanished
    return result
