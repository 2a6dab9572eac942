"""docker_restart: restart one container (single-flight per container)."""

from __future__ import annotations

from ops.adapters import Adapters
from ops.checks import container_in_scope
from ops.descriptions import ContainerButton, OperationGroup
from ops.docker.calls import blocking
from ops.params import ContainerName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext

RESTART_TIMEOUT = 120
# Seconds between SIGTERM and SIGKILL: what `docker restart` gives by default.
STOP_GRACE = 10


class Params(StrictParams):
    """The container, by name or id."""

    container: ContainerName


async def check(params: Params, adapters: Adapters, mutating: bool) -> Params:
    """The container must exist and be in scope (HOMELAB_ENV=dev: only homelab-dev); the handler gets its full id,
    so the container checked is the one restarted (a name could be another container's id to the engine)."""
    info = await container_in_scope(params.container, adapters, mutating)
    return params.model_copy(update={'container': info.id})


@operation(
    'docker_restart',
    summary='Restart one container',
    label='Restart container',
    group=OperationGroup.CONTAINERS,
    icon='restart_alt',
    consequence='Container {container} is stopped and started again; its service is down meanwhile.',
    container_button=ContainerButton(label='Restart', rank=1),
    params=Params,
    mutating=True,
    confirm=True,
    timeout=RESTART_TIMEOUT,
    pool='docker',
    lock=lambda params: f'container:{params.container}',
    on_busy='refuse',
    check=check,
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
