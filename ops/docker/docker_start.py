"""docker_start: start one stopped container (single-flight per container)."""

from __future__ import annotations

from ops.adapters import Adapters
from ops.checks import container_in_scope
from ops.descriptions import ContainerButton, OperationGroup
from ops.docker.calls import blocking
from ops.params import ContainerName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext

START_TIMEOUT = 60


class Params(StrictParams):
    """The container, by name or id."""

    container: ContainerName


async def check(params: Params, adapters: Adapters, mutating: bool) -> Params:
    """The container must exist and be in scope; the handler gets its full id, so the container checked is the one
    started."""
    info = await container_in_scope(params.container, adapters, mutating)
    return params.model_copy(update={'container': info.id})


@operation(
    'docker_start',
    summary='Start one stopped container',
    label='Start container',
    group=OperationGroup.CONTAINERS,
    icon='play_circle',
    consequence='Container {container} is started with the configuration it was created with.',
    container_button=ContainerButton(label='Start', rank=3),
    params=Params,
    mutating=True,
    timeout=START_TIMEOUT,
    pool='docker',
    # The same key as docker_restart and docker_stop: one change to a container at a time.
    lock=lambda params: f'container:{params.container}',
    on_busy='refuse',
    check=check,
)
async def docker_start(params: Params, ctx: RunContext) -> Result:
    """Start; starting a running container changes nothing. The result has the state and start time after."""
    engine = ctx.adapters.engine
    before = await blocking(engine.inspect, params.container)
    ctx.log(f'starting {before.name} ({before.state})')
    await blocking(engine.start, params.container, timeout=START_TIMEOUT - 10)
    after = await blocking(engine.inspect, params.container)
    ctx.log(f'{after.name} is {after.state}, started {after.started_at}')
    return {
        'container': after.name,
        'container_id': after.id,
        'state_before': before.state,
        'started_at_before': before.started_at,
        'state': after.state,
        'started_at': after.started_at,
    }
