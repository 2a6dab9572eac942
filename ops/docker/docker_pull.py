"""docker_pull: pull the image of one container, or of one service of a configured stack, layer by layer."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ops.adapters import Adapters
from ops.checks import container_in_scope, stack_configured
from ops.descriptions import ContainerButton, Description, OperationGroup
from ops.docker.calls import blocking
from ops.docker.compose import ComposeError
from ops.docker.pulling import pull_image
from ops.errors import OperationFailed, Refused
from ops.params import ContainerName, ServiceName, StackName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import pulling

PULL_TIMEOUT = 600


class Params(StrictParams):
    """Either `container`, or `stack` and `service` together."""

    container: ContainerName | None = None
    stack: StackName | None = None
    service: ServiceName | None = None

    @model_validator(mode='after')
    def _one_target(self) -> Self:
        if self.container is not None and (self.stack is not None or self.service is not None):
            raise ValueError('give either container, or stack and service, not both')
        if self.container is None and (self.stack is None or self.service is None):
            raise ValueError('give either container, or stack and service')
        return self

    @property
    def target(self) -> str:
        """What is pulled for, in words (and the lock key)."""
        return f'container {self.container}' if self.container else f'service {self.stack}/{self.service}'


async def check(params: Params, adapters: Adapters, mutating: bool) -> Params | None:
    """The container exists and is in scope (the handler gets its full id); or the stack is configured and has
    that service."""
    if params.container is not None:
        info = await container_in_scope(params.container, adapters, mutating)
        return params.model_copy(update={'container': info.id})
    assert params.stack is not None and params.service is not None
    stack_configured(params.stack, adapters, mutating)
    await _service_image(adapters, params.stack, params.service)
    return None


@operation(
    'docker_pull',
    summary="Pull the image of a container (or of a stack's service), with progress per layer",
    params=Params,
    described=Description(
        'Pull image',
        OperationGroup.CONTAINERS,
        'cloud_download',
        consequence='The newest image for {target} is pulled. Running containers keep their image until recreated.',
        button=ContainerButton(rank=4),
    ),
    # The image is only known after a look at the world; the target names it for the lock.
    supervised=pulling(timeout=PULL_TIMEOUT, lock=lambda params: f'pull:{params.target}'),
    check=check,
)
async def docker_pull(params: Params, ctx: RunContext) -> Result:
    """The result says whether the tag now points at another image, and whether the container runs an older one."""
    running_image: str | None = None
    if params.container is not None:
        details = await blocking(ctx.adapters.engine.inspect, params.container)
        image, running_image = details.image, details.image_id
    else:
        assert params.stack is not None and params.service is not None
        image = await _service_image(ctx.adapters, params.stack, params.service)
    if image.startswith('sha256:'):
        raise OperationFailed(f'{params.target} was created from an image id ({image[:19]}…), not a pullable name')
    outcome = await pull_image(ctx, image)
    result = outcome.as_result()
    if running_image is not None:
        result['container_outdated'] = running_image != outcome.after.id
    return result


async def _service_image(adapters: Adapters, stack: str, service: str) -> str:
    try:
        images = await adapters.compose.service_images(stack, adapters.config.stacks[stack].files, adapters.repo_dir)
    except ComposeError as err:
        raise Refused(f'cannot read stack {stack!r}: {err}') from err
    if service not in images:
        raise Refused(f'stack {stack!r} has no service {service!r} with an image')
    return images[service]
