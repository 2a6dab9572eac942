"""What a prune keeps though nothing runs it now: what the stacks' files name, build or declare, and rollbacks need."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.exceptions import BaseORMException

from ops.adapters import Adapters
from ops.docker.compose import ComposeError
from ops.maintenance.prune_rules import ROLLBACK_PIN, digest_reference, known_good_why, normal_reference
from ops.maintenance.records import KnownGood, RollbackPin


@dataclass(kw_only=True)
class StackNeeds:
    """What the configured stacks' files need, with every profile on (a profile-gated service counts): the image
    references they name (tags, and `repository@sha256:...` for a digest), the images Compose builds for a service
    with `build:` and no `image:` (`<project>-<service>:latest`), the networks they declare (their own and external
    ones, by name), and the stacks whose files could not be read."""

    images: set[str] = field(default_factory=set)
    builds: set[str] = field(default_factory=set)
    networks: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)


async def stack_needs(adapters: Adapters) -> StackNeeds:
    """Render every configured stack (Compose once per stack) and collect what its files need."""
    needs = StackNeeds()
    for stack, config in adapters.config.stacks.items():
        try:
            rendered = await adapters.compose.rendered(stack, config.files, adapters.repo_dir, all_profiles=True)
        except ComposeError:
            needs.unreadable.append(stack)
            continue
        project = str(rendered.get('name') or stack)
        services = rendered.get('services')
        for name, service in services.items() if isinstance(services, dict) else ():
            if not isinstance(service, dict):
                continue
            reference = service.get('image')
            if isinstance(reference, str) and reference:
                needs.images.add(normal_reference(reference))
                if (by_digest := digest_reference(reference)) is not None:
                    needs.images.add(by_digest)
            elif service.get('build') is not None:
                needs.builds.add(normal_reference(f'{project}-{name}'))  # Compose v2's name for a built image
        networks = rendered.get('networks')
        for key, network in networks.items() if isinstance(networks, dict) else ():
            named = network.get('name') if isinstance(network, dict) else None
            needs.networks.add(str(named) if named else f'{project}_{key}')
    return needs


async def rollback_needs(known_good: int) -> tuple[tuple[str, frozenset[str]], ...]:
    """The images rollbacks need, by local id and by `repository@sha256:...`: those of active pins (and the
    known-good state each pins), and of each service's last `known_good` known-good states (those a rollback
    offers). Raises one of STORE_ERRORS when the store cannot be read."""
    pins = await RollbackPin.filter(released_at__isnull=True).values_list('digest', 'known_good_id')
    pinned_states = [state_id for _, state_id in pins if state_id is not None]
    pinned = {_name(str(digest)) for digest, _ in pins}
    pinned |= {
        name
        for image_id, digest in await KnownGood.filter(id__in=pinned_states).values_list('image_id', 'digest')
        for name in (str(image_id), _name(str(digest)))
    }
    rows = (
        await KnownGood.filter(healthy=True)
        .order_by('stack', 'service', '-recorded_at', '-id')
        .values_list('stack', 'service', 'image_id', 'digest')
    )
    taken: dict[tuple[str, str], int] = {}
    recent: set[str] = set()
    for stack, service, image_id, digest in rows:
        key = (str(stack), str(service))
        taken[key] = taken.get(key, 0) + 1
        if taken[key] <= known_good:
            recent |= {str(image_id), _name(str(digest))}
    return ((ROLLBACK_PIN, frozenset(pinned - {''})), (known_good_why(known_good), frozenset(recent - {''})))


def _name(digest: str) -> str:
    """A pin's or state's digest as the plan matches it: `repository@sha256:...` normalised, or the local id."""
    return digest_reference(digest) or digest


# A busy or broken store, or none open (Tortoise then raises RuntimeError: no context is active).
STORE_ERRORS = (BaseORMException, OSError, RuntimeError)
STORE_UNREADABLE = (
    'the rollback pins and known-good states could not be read, so which images a rollback needs is not known'
)
