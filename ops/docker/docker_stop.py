"""docker_stop: stop one container, as `docker stop` does (single-flight per container)."""

from __future__ import annotations

from ops.adapters import Adapters
from ops.checks import container_in_scope
from ops.descriptions import ContainerButton, OperationGroup
from ops.docker.calls import blocking
from ops.params import ContainerName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext

STOP_TIMEOUT = 120


class Params(StrictParams):
    """The container, by name or id."""

    container: ContainerName


async def check(params: Params, adapters: Adapters, mutating: bool) -> Params:
    """The container must exist and be in scope; the handler gets its full id, so the container checked is the one
    stopped."""
    info = await container_in_scope(params.container, adapters, mutating)
    return params.model_copy(update={'container': info.id})


@operation(
    'docker_stop',
    summary='Stop one container (SIGTERM, then SIGKILL after its stop timeout)',
    label='Stop container',
    group=OperationGroup.CONTAINERS,
    icon='stop_circle',
    consequence='Container {container} is stopped; its service is down until the container is started again.',
    container_button=ContainerButton(label='Stop', rank=2),
    params=Params,
    mutating=True,
    confirm=True,
    timeout=STOP_TIMEOUT,
    pool='docker',
    # The same key as docker_restart and docker_start: one change to a container at a time.
    lock=lambda params: f'container:{params.container}',
    on_busy='refuse',
    check=check,
)
async def docker_stop(params: Params, ctx: RunContext) -> Result:
    """Stop with the engine's default grace period; the result has the state before and after, and the exit code."""
    engine = ctx.adapters.engine
    before = await blocking(engine.inspect, params.container)
    ctx.log(f'stopping {before.name} ({before.state})')
    await blocking(engine.stop, params.container, timeout=STOP_TIMEOUT - 10)
    after = await blocking(engine.inspect, params.container)
    ctx.log(f'{after.name} is {after.state} (exit code {after.exit_code}), finished {after.finished_at}')
    return {
        'container': after.name,
        'container_id': after.id,
        'state_before': before.state,
        'state': after.state,
        'exit_code': after.exit_code,
        'finished_at': after.finished_at,
    }
