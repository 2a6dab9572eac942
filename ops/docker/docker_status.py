"""docker_status: every container with its state, health, image and stack/service."""

from __future__ import annotations

from ops.descriptions import Description, OperationGroup
from ops.docker.calls import blocking
from ops.params import NoParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading


class Params(NoParams):
    """docker_status takes no arguments."""


@operation(
    'docker_status',
    summary='Containers with their state, health, image and stack',
    params=Params,
    described=Description('List containers', OperationGroup.CONTAINERS, 'view_list'),
    supervised=reading(timeout=30),
)
async def docker_status(params: Params, ctx: RunContext) -> Result:
    """List the containers, stacks first (by stack and service), then the ones outside any stack."""
    containers = await blocking(ctx.adapters.engine.list_containers)
    containers.sort(key=lambda c: (c.stack is None, c.stack or '', c.service or '', c.name))
    for c in containers:
        ctx.log(f'{c.name:<40} {c.state:<10} {c.health or "-":<10} {c.image}')
    return {
        'containers': [
            {
                'name': c.name,
                'id': c.short_id,
                'stack': c.stack,
                'service': c.service,
                'state': c.state,
                'health': c.health,
                'exit_code': c.exit_code,
                'image': c.image,
                'status': c.status,
            }
            for c in containers
        ]
    }
