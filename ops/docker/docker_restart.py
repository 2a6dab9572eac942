"""docker_restart: restart one container (single-flight per container)."""

from __future__ import annotations

from ops.checks import resolved_container
from ops.descriptions import ContainerButton, Description, OperationGroup
from ops.docker.calls import blocking
from ops.params import ContainerParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import one_change_per_container

RESTART_TIMEOUT = 120
# Seconds between SIGTERM and SIGKILL: what `docker restart` gives by default.
STOP_GRACE = 10


class Params(ContainerParams):
    """The container, by name or id."""


@operation(
    'docker_restart',
    summary='Restart one container',
    params=Params,
    described=Description(
        'Restart container',
        OperationGroup.CONTAINERS,
        'restart_alt',
        consequence='Container {container} is stopped and started again; its service is down meanwhile.',
        button=ContainerButton(label='Restart', rank=1),
    ),
    supervised=one_change_per_container(timeout=RESTART_TIMEOUT),
    check=resolved_container,
)
async def docker_restart(params: Params, ctx: RunContext) -> Result:
    """Stop (SIGTERM, then SIGKILL after the grace period) and start again; the result has both start times."""
    engine = ctx.adapters.engine
    before = await blocking(engine.inspect, params.container)
    ctx.log(f'restarting {before.name} (running since {before.started_at or "never"})')
    # The engine may need the whole grace period (and then some) to stop the container.
    await blocking(lambda: engine.restart(params.container, timeout=STOP_GRACE), timeout=RESTART_TIMEOUT - 10)
    after = await blocking(engine.inspect, params.container)
    ctx.log(f'{after.name} is {after.state} again, started {after.started_at}')
    return {
        'container': after.name,
        'container_id': after.id,
        'started_at_before': before.started_at,
        'started_at': after.started_at,
        'state': after.state,
        'health': after.health.status,
    }
