"""docker_inspect: what an operator looks at in `docker inspect` (image and digests, ports, mounts, health...)."""

from __future__ import annotations

import dataclasses

from ops.checks import resolved_container
from ops.descriptions import ContainerButton, Description, OperationGroup
from ops.docker.calls import blocking
from ops.params import ContainerParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading


class Params(ContainerParams):
    """The container, by name or id."""


@operation(
    'docker_inspect',
    summary='Inspect one container: image and digests, ports, mounts, networks, restarts, health',
    params=Params,
    described=Description(
        'Inspect container',
        OperationGroup.CONTAINERS,
        'info',
        button=ContainerButton(label='Inspect', rank=6),
    ),
    supervised=reading(timeout=30),
    check=resolved_container,
)
async def docker_inspect(params: Params, ctx: RunContext) -> Result:
    """The inspect summary as the result; the essentials as output lines."""
    details = await blocking(ctx.adapters.engine.inspect, params.container)
    ctx.log(f'{details.name} ({details.id[:12]}): {details.state}, health {details.health.status}')
    ctx.log(f'image {details.image} = {details.image_id}')
    for digest in details.repo_digests:
        ctx.log(f'  digest {digest}')
    ctx.log(f'started {details.started_at or "never"}, restarts {details.restart_count} ({details.restart_policy})')
    for port in details.ports:
        published = f'{port.host_ip or "*"}:{port.host_port}' if port.host_port else 'not published'
        ctx.log(f'port {port.container_port} -> {published}')
    for mount in details.mounts:
        ctx.log(f'mount {mount.type} {mount.source} -> {mount.destination}{" (read-only)" if mount.read_only else ""}')
    for network in details.networks:
        ctx.log(f'network {network.name} {network.ip_address}')
    return dataclasses.asdict(details)
