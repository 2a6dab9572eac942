"""volume_remove: delete one named volume and the data in it; refused while any container (even stopped) mounts it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated

from pydantic import StringConstraints

from ops.adapters import Adapters
from ops.checks import stack_in_scope
from ops.descriptions import Description, OperationGroup
from ops.docker.calls import blocking
from ops.errors import Refused
from ops.maintenance.volumes import VolumeFacts, volumes_from
from ops.params import StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.sizes import size_text
from ops.supervision import Supervision

REMOVE_TIMEOUT = 120
# What the engine accepts as a volume name.
VolumeName = Annotated[str, StringConstraints(pattern=r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$')]


class Params(StrictParams):
    """The volume, by its name."""

    volume: VolumeName


async def check(params: Params, adapters: Adapters, mutating: bool) -> None:
    """The volume exists, is in scope and no container (running or stopped) mounts it."""
    usable(await _facts(params.volume, adapters), adapters)


def usable(facts: VolumeFacts, adapters: Adapters) -> None:
    stack_in_scope(facts.stack, adapters)
    if facts.in_use:
        raise Refused(
            f'volume {facts.name!r} is in use by {", ".join(facts.used_by)}: remove the container(s) first '
            '(a stopped container still holds its volumes)'
        )


@operation(
    'volume_remove',
    summary='Delete one named volume and all the data in it (refused while any container mounts it)',
    params=Params,
    described=Description(
        'Remove volume',
        OperationGroup.HOUSEKEEPING,
        'delete_forever',
        consequence='Volume {volume} and every file in it are deleted for good; there is no undo.',
    ),
    supervised=Supervision(
        mutating=True,
        confirm=True,
        timeout=REMOVE_TIMEOUT,
        pool='docker',
        lock=lambda params: f'volume:{params.volume}',
    ),
    check=check,
)
async def volume_remove(params: Params, ctx: RunContext) -> Result:
    """Re-checked just before the removal (a container may have started using it since the check); its size (the
    engine's df, slow on a big host) is read first, for the log line and the result."""
    size = await _size(params.volume, ctx.adapters)
    facts = replace(await _facts(params.volume, ctx.adapters), size=size)
    usable(facts, ctx.adapters)
    shown = 'size unknown' if size is None else size_text(size)
    ctx.log(f'removing volume {facts.name} ({shown}, driver {facts.driver})')
    await blocking(ctx.adapters.engine.delete_volume, facts.name, timeout=REMOVE_TIMEOUT - 10)
    ctx.log(f'volume {facts.name} removed')
    return {'volume': facts.name, 'size': facts.size, 'removed': True}


async def _facts(name: str, adapters: Adapters) -> VolumeFacts:
    """The volume as the engine inspects it now, with the containers (running or stopped) mounting it; no size."""
    engine = adapters.engine
    volume, users = await asyncio.gather(
        asyncio.to_thread(engine.volume, name), asyncio.to_thread(engine.container_summaries, volume=name)
    )
    if volume is None:
        raise Refused(f'no volume named {name!r}')
    [facts] = volumes_from([volume], users)
    return facts


async def _size(name: str, adapters: Adapters) -> int | None:
    """The volume's size in bytes from the engine's df; None when the engine has not computed it (or lists none)."""
    df = await asyncio.to_thread(adapters.engine.disk_usage)
    return next((v.size for v in volumes_from(list(df.get('Volumes') or []), []) if v.name == name), None)
