"""host_disk_report: how full the host's filesystems are, and what the Docker engine keeps on disk."""

from __future__ import annotations

import asyncio

from ops.descriptions import Description, OperationGroup
from ops.host.disk import docker_disk_usage, filesystems
from ops.host.results import jsonable
from ops.params import NoParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading


class Params(NoParams):
    """host_disk_report takes no arguments."""


@operation(
    'host_disk_report',
    summary='Filesystems with their usage, and Docker disk use (images, containers, volumes, build cache)',
    params=Params,
    described=Description('Disk usage', OperationGroup.HOST, 'storage'),
    supervised=reading(timeout=60),
)
async def host_disk_report(params: Params, ctx: RunContext) -> Result:
    """Filesystem usage and the engine's `system df`; an unreachable engine leaves only that part unavailable."""
    adapters = ctx.adapters
    (mounts, skipped), docker = await asyncio.gather(
        filesystems(adapters.host_root), docker_disk_usage(adapters.engine)
    )
    for fs in mounts:
        ctx.log(
            f'{fs.mountpoint}: {fs.percent:.1f}% used ({_gib(fs.used_bytes)} of {_gib(fs.total_bytes)}, {fs.fstype})'
        )
    for note in skipped:
        ctx.log(f'skipped {note}')
    if docker.available:
        parts = {
            'images': docker.images,
            'containers': docker.containers,
            'volumes': docker.volumes,
            'build cache': docker.build_cache,
        }
        for label, part in parts.items():
            if part is not None:
                size, reclaimable = _gib(part.size_bytes), _gib(part.reclaimable_bytes)
                ctx.log(f'docker {label}: {part.count}, {size} ({reclaimable} reclaimable)')
    else:
        ctx.log(f'docker disk use unavailable: {docker.error}')
    return {'filesystems': jsonable(mounts), 'skipped': skipped, 'docker': jsonable(docker)}


def _gib(size: int) -> str:
    return f'{size / 1024**3:.2f} GiB'
