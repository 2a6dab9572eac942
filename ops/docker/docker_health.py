"""docker_health: a container's healthcheck status, its recent probe log and its restart count."""

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
    'docker_health',
    summary='Health of one container: status, the last healthcheck probes, restart count',
    params=Params,
    described=Description('Health check', OperationGroup.CONTAINERS, 'monitor_heart', button=ContainerButton(rank=5)),
    supervised=reading(timeout=30),
    check=resolved_container,
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
