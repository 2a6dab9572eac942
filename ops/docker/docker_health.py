"""docker_health: a container's healthcheck status, its recent probe log and its restart count."""

from __future__ import annotations

import dataclasses

from ops.adapters import Adapters
from ops.checks import container_in_scope
from ops.descriptions import ContainerButton, OperationGroup
from ops.docker.calls import blocking
from ops.params import ContainerName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext


class Params(StrictParams):
    """The container, by name or id."""

    container: ContainerName


async def check(params: Params, adapters: Adapters, mutating: bool) -> Params:
    """The container must exist; the handler gets its full id."""
    info = await container_in_scope(params.container, adapters, mutating)
    return params.model_copy(update={'container': info.id})


@operation(
    'docker_health',
    summary='Health of one container: status, the last healthcheck probes, restart count',
    label='Health check',
    group=OperationGroup.CONTAINERS,
    icon='monitor_heart',
    container_button=ContainerButton(rank=5),
    params=Params,
    mutating=False,
    timeout=30,
    check=check,
)
async def docker_health(params: Params, ctx: RunContext) -> Result:
    """Status 'none' means the container has no healthcheck."""
    details = await blocking(ctx.adapters.engine.inspect, params.container)
    health = details.health
    ctx.log(
        f'{details.name}: {health.status} (failing streak {health.failing_streak}), {details.restart_count} restarts'
    )
    for probe in health.log:
        ctx.log(f'{probe.start} exit {probe.exit_code}: {probe.output}')
    return {
        'container': details.name,
        'container_id': details.id,
        'state': details.state,
        'status': health.status,
        'failing_streak': health.failing_streak,
        'restart_count': details.restart_count,
        'started_at': details.started_at,
        'log': [dataclasses.asdict(probe) for probe in health.log],
    }
