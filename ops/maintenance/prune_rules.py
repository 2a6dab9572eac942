"""The rules of what a prune may remove, shared by the plan and the re-check just before each removal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ops.adapters import DEV_PROJECT, Adapters
from ops.docker.details import repository_of
from ops.docker.labels import PROJECT_LABEL
from ops.world.freshness import familiar

# The networks every engine has; never removable.
BUILT_IN_NETWORKS = frozenset({'bridge', 'host', 'none'})
STOPPED_STATES = frozenset({'exited', 'dead', 'created'})
# A container created but never started this recently may be one Compose is starting right now: left alone.
CREATED_GRACE_SECONDS = 3600


@dataclass(frozen=True, kw_only=True, slots=True)
class PruneScope:
    """What a prune may touch at all: in HOMELAB_ENV=dev only things labelled for the dev project; with a label
    filter only things carrying it. Either way the build cache, which carries no labels, is left out."""

    project: str | None = None
    label: str | None = None

    @classmethod
    def of(cls, adapters: Adapters, label: str | None) -> PruneScope:
        return cls(project=DEV_PROJECT if adapters.env == 'dev' else None, label=label)

    @property
    def attributable_only(self) -> bool:
        return self.project is not None or self.label is not None

    def allows(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        if self.project is not None and labels.get(PROJECT_LABEL) != self.project:
            return False
        if self.label is not None:
            key, _, value = self.label.partition('=')
            if key not in labels or ('=' in self.label and labels[key] != value):
                return False
        return True


def container_prunable(summary: dict[str, Any], scope: PruneScope, configured: frozenset[str], now: float) -> bool:
    """Stopped, of no configured stack, in scope; a never-started container only once it is an hour old."""
    labels = summary.get('Labels') or {}
    state = str(summary.get('State') or '')
    if state not in STOPPED_STATES or labels.get(PROJECT_LABEL) in configured or not scope.allows(labels):
        return False
    return state != 'created' or now - int(summary.get('Created') or 0) >= CREATED_GRACE_SECONDS


def is_dangling(tags: list[str] | None) -> bool:
    return not [tag for tag in tags or [] if tag != '<none>:<none>']


def image_old_and_tagged(tags: list[str] | None, created: int, older_than_seconds: int, now: float) -> bool:
    """A tagged image at least `older_than_seconds` old (whether a configured stack's files name it is Kept's part)."""
    return not is_dangling(tags) and now - created >= older_than_seconds


@dataclass(frozen=True, kw_only=True, slots=True)
class Kept:
    """What a prune keeps though no container uses it now: images something may need again, in groups (why, and the
    image ids, tags and `repository@sha256:...` references that name them), and the networks the configured stacks
    declare (by name; one labelled with a configured stack's project is kept too)."""

    images: tuple[tuple[str, frozenset[str]], ...] = ()
    networks: frozenset[str] = frozenset()

    def image_why(self, image_id: str, tags: Iterable[str] | None, digests: Iterable[str] | None) -> str | None:
        """Why the image is kept (the first group naming it), or None."""
        names = {image_id, *(normal_reference(tag) for tag in tags or [] if tag != '<none>:<none>')}
        names |= {ref for ref in (digest_reference(d) for d in digests or []) if ref is not None}
        return next((why for why, wanted in self.images if names & wanted), None)

    def network_why(self, network: dict[str, Any], configured: frozenset[str]) -> str | None:
        """Why the network is kept: a configured stack declares it, or it carries a configured stack's project."""
        if str(network.get('Name') or '') in self.networks:
            return STACK_NETWORK
        if (network.get('Labels') or {}).get(PROJECT_LABEL) in configured:
            return PROJECT_NETWORK
        return None


STACK_FILES = "named by a configured stack's files"
STACK_BUILD = "built for a configured stack's service"
ROLLBACK_PIN = 'held by an active rollback pin'
STACK_NETWORK = "declared by a configured stack's files"
PROJECT_NETWORK = "labelled with a configured stack's project"


def known_good_why(count: int) -> str:
    return f'of the last {count} known-good states of a service'


def networks_of(containers: list[dict[str, Any]]) -> set[str]:
    """The ids and names of the networks any container (running or stopped) is attached to."""
    used: set[str] = set()
    for container in containers:
        attached = ((container.get('NetworkSettings') or {}).get('Networks') or {}).items()
        for name, endpoint in attached:
            used.add(name)
            used.add(str((endpoint or {}).get('NetworkID') or ''))
        used.add(str((container.get('HostConfig') or {}).get('NetworkMode') or ''))
    return used


def network_prunable(network: dict[str, Any], used: set[str], scope: PruneScope) -> bool:
    """A network of its own (not bridge/host/none, local), no endpoint, no container attached, in scope."""
    name, network_id = str(network.get('Name') or ''), str(network.get('Id') or '')
    if name in BUILT_IN_NETWORKS or network.get('Scope') not in (None, 'local') or network.get('Ingress'):
        return False
    if network.get('Containers') or name in used or network_id in used:
        return False
    return scope.allows(network.get('Labels'))


def digest_reference(reference: str) -> str | None:
    """`docker.io/library/postgres:16@sha256:...` -> `postgres@sha256:...`, as the engine lists RepoDigests; None for
    a reference without a digest."""
    name, at, digest = reference.partition('@')
    if not at or not digest.startswith('sha256:'):
        return None
    return f'{familiar(repository_of(name))}@{digest}'


def normal_reference(reference: str) -> str:
    """An image reference as the engine lists tags: Docker Hub's prefixes dropped, ':latest' when no tag."""
    for prefix in ('docker.io/library/', 'index.docker.io/library/', 'docker.io/', 'index.docker.io/'):
        if reference.startswith(prefix):
            reference = reference[len(prefix) :]
            break
    if '@' in reference or ':' in reference.rsplit('/', 1)[-1]:
        return reference
    return f'{reference}:latest'
