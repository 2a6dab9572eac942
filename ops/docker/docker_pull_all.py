"""docker_pull_all: pull every image the containers of the configured stacks (in scope) run."""

from __future__ import annotations

from ops.descriptions import Description, OperationGroup
from ops.docker.calls import blocking, configured_stacks, stacks_in_scope
from ops.docker.engine import EngineError
from ops.docker.labels import PROJECT_LABEL
from ops.docker.pulling import pull_image
from ops.errors import OperationFailed
from ops.params import StacksParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import pulling


class Params(StacksParams):
    """One stack, or (without) every configured stack in scope."""


@operation(
    'docker_pull_all',
    summary='Pull the images of every container of the configured stacks',
    params=Params,
    described=Description(
        'Pull stack images',
        OperationGroup.STACKS,
        'cloud_sync',
        consequence='The images of {stacks} are pulled. Nothing is restarted.',
    ),
    supervised=pulling(timeout=1800, lock=lambda params: f'pull_all:{params.stack or "*"}'),
    check=configured_stacks,
)
async def docker_pull_all(params: Params, ctx: RunContext) -> Result:
    """Pull each image once; one failed pull does not stop the others, but fails the run at the end."""
    stacks = stacks_in_scope(ctx.adapters, params.stack, mutating=True)
    images = await _stack_images(ctx, stacks)
    pulled: list[dict[str, object]] = []
    failed: dict[str, str] = {}
    for image in images:
        if ctx.cancelled.is_set():
            break
        try:
            outcome = await pull_image(ctx, image, key_prefix=f'{image} ')
        except EngineError as err:
            failed[image] = str(err)
            ctx.log(f'{image}: FAILED: {err}')
            continue
        pulled.append(outcome.as_result())
    if failed:
        raise OperationFailed(
            f'{len(failed)} of {len(images)} pulls failed: ' + '; '.join(f'{i}: {e}' for i, e in failed.items())
        )
    return {'stacks': stacks, 'images': pulled, 'changed': [p['image'] for p in pulled if p['changed']]}


async def _stack_images(ctx: RunContext, stacks: list[str]) -> list[str]:
    """The image names the stacks' containers run that came from a registry (nothing else can be pulled)."""
    engine = ctx.adapters.engine
    images: set[str] = set()
    for stack in stacks:
        for container in await blocking(engine.list_containers, label=f'{PROJECT_LABEL}={stack}'):
            details = await blocking(engine.inspect, container.id)
            if details.image.startswith('sha256:'):
                ctx.log(f'{container.name}: created from an image id, not a name: skipped')
            elif not details.repo_digests:
                # Built or imported on this host: no registry has it, so a pull could only fail.
                ctx.log(f'{container.name}: {details.image} has no registry digest (built locally): skipped')
            else:
                images.add(details.image)
    ctx.log(f'{len(images)} image(s) to pull in {", ".join(stacks)}')
    return sorted(images)
