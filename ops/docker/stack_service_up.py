"""stack_service_up: bring one service of a configured stack in line with its Compose file (start, create,
recreate; with `pull`, first pull its image layer by layer)."""

from __future__ import annotations

from ops.adapters import Adapters
from ops.checks import stack_configured
from ops.descriptions import Description, OperationGroup
from ops.docker.calls import up_progress
from ops.docker.compose import ComposeError
from ops.docker.pulling import pull_image
from ops.errors import OperationFailed, Refused
from ops.maintenance.known_good import record_replaced, snapshot_stack
from ops.params import ServiceName, StackName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import one_change_per_stack

UP_TIMEOUT = 900


class Params(StrictParams):
    """The stack (a configured Compose project), one of its services, and whether to pull its image first."""

    stack: StackName
    service: ServiceName
    pull: bool = False


async def service_image(adapters: Adapters, stack: str, service: str) -> str | None:
    """The image the stack's files give the service (None when it only builds); refuses an unknown service."""
    compose = adapters.compose
    try:
        rendered = await compose.rendered(stack, adapters.config.stacks[stack].files, adapters.repo_dir)
    except ComposeError as err:
        raise Refused(f'the files of stack {stack!r} are not valid, nothing was run: {err}') from err
    declared = rendered.get('services')
    if not isinstance(declared, dict) or service not in declared:
        raise Refused(f'stack {stack!r} has no service {service!r} in its files')
    image = declared[service].get('image') if isinstance(declared[service], dict) else None
    return str(image) if image else None


async def check(params: Params, adapters: Adapters, mutating: bool) -> None:
    """The stack is configured and in scope, its files are valid and declare the service."""
    stack_configured(params.stack, adapters, mutating)
    await service_image(adapters, params.stack, params.service)


@operation(
    'stack_service_up',
    summary='Bring one service of a stack in line with its Compose file (start, create or recreate; pull first)',
    params=Params,
    described=Description('Bring a service up', OperationGroup.STACKS, 'upgrade'),
    supervised=one_change_per_stack(timeout=UP_TIMEOUT),
    check=check,
)
async def stack_service_up(params: Params, ctx: RunContext) -> Result:
    """`compose up -d SERVICE` (and what it depends on); the result names the steps Compose took."""
    adapters = ctx.adapters
    compose = adapters.compose
    result: Result = {'stack': params.stack, 'service': params.service}
    if params.pull:
        image = await service_image(adapters, params.stack, params.service)
        if image is None:
            raise OperationFailed(f'{params.stack}/{params.service} builds its image: there is nothing to pull')
        if image.startswith('sha256:'):
            # A local image id (a rollback pin to an image built or imported here): the engine would read it as
            # an image named `sha256` of the default registry and ask that registry for it.
            ctx.log(f'{params.service} runs the local image {image[:19]}…, which no registry has: not pulled')
        else:
            result['pull'] = (await pull_image(ctx, image, key_prefix='pull/')).as_result()

    ctx.log(f'== {params.stack}: compose up -d {params.service}')
    async with adapters.stack_locks.of(params.stack):
        before = await snapshot_stack(adapters, params.stack)
        up = await compose.up(
            params.stack,
            adapters.config.stacks[params.stack].files,
            adapters.repo_dir,
            on_line=ctx.log,
            on_service_progress=up_progress(ctx, params.stack, key_prefix='up/'),
            timeout=UP_TIMEOUT,
            services=[params.service],
            remove_orphans=False,
        )
    await record_replaced(before, up, run_id=ctx.run_id)  # a failed `up` may have replaced some too
    if not up.ok:
        why = 'timed out' if up.timed_out else f'exited with {up.returncode}'
        raise OperationFailed(f'compose up of {params.stack}/{params.service} {why}:\n{up.tail()}')
    result['changed'] = up.changed
    result['steps'] = {service: list(steps) for service, steps in sorted(up.steps.items())}
    started = sorted(service for service, steps in up.steps.items() if 'Started' in steps)
    ctx.log(
        f'== {params.stack}: created or recreated: {", ".join(up.changed) or "none"}; '
        f'started: {", ".join(started) or "none"}'
    )
    return result
