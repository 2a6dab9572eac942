"""What a prune would remove, item by item with the space each frees: what a preview shows and a prune removes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ops.adapters import Adapters
from ops.config import HomelabConfig, parse_duration
from ops.docker.compose import ComposeError
from ops.maintenance.prune_rules import (
    PruneScope,
    container_prunable,
    image_old_and_unnamed,
    is_dangling,
    network_prunable,
    networks_of,
    normal_reference,
)

SHARED_LAYERS_NOTE = (
    "Sizes are what each item alone frees: an image counts only its unique layers (the engine's Size minus "
    'SharedSize), so layers shared by several removed images are freed too and not counted: the total is a floor.'
)


class PruneKind(StrEnum):
    """What a plan item is; also the order a plan lists and a prune removes them (containers first frees images)."""

    STOPPED_CONTAINER = 'stopped_container'
    DANGLING_IMAGE = 'dangling_image'
    UNUSED_IMAGE = 'unused_image'
    UNUSED_NETWORK = 'unused_network'
    BUILD_CACHE = 'build_cache'


KIND_LABELS = {
    PruneKind.STOPPED_CONTAINER: 'Stopped container',
    PruneKind.DANGLING_IMAGE: 'Dangling image',
    PruneKind.UNUSED_IMAGE: 'Unused image',
    PruneKind.UNUSED_NETWORK: 'Unused network',
    PruneKind.BUILD_CACHE: 'Build cache',
}


@dataclass(frozen=True, kw_only=True, slots=True)
class PruneOptions:
    """Which kinds to look for, how old an unused image must be, and (optionally) a label every item must carry."""

    kinds: frozenset[PruneKind] = frozenset(PruneKind)
    older_than_seconds: int = 7 * 86400
    label: str | None = None  # 'key' or 'key=value'

    @classmethod
    def from_config(cls, config: HomelabConfig, *, kinds: frozenset[PruneKind] | None = None) -> PruneOptions:
        """Every kind (or `kinds`), unused images from `[maintenance] prune_images_older_than` on: what a scheduled
        prune plans."""
        return cls(
            kinds=frozenset(PruneKind) if kinds is None else kinds,
            older_than_seconds=parse_duration(config.maintenance.prune_images_older_than),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class PruneItem:
    """One thing a prune removes: by its full id, with its name(s) and the space it frees (bytes)."""

    kind: PruneKind
    id: str
    name: str
    size: int
    detail: str = ''

    def as_dict(self) -> dict[str, Any]:
        return {'kind': self.kind.value, 'id': self.id, 'name': self.name, 'size': self.size, 'detail': self.detail}


@dataclass(frozen=True, kw_only=True, slots=True)
class PrunePlan:
    """The items in removal order, and notes on what was left out as a whole (scope, unreadable stack files)."""

    items: tuple[PruneItem, ...]
    notes: tuple[str, ...] = ()
    stack_images: frozenset[str] = field(default_factory=frozenset)  # image references the stacks' files name

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.items)

    def count(self, kind: PruneKind) -> int:
        return sum(1 for item in self.items if item.kind is kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            'items': [item.as_dict() for item in self.items],
            'total_bytes': self.total_bytes,
            'notes': list(self.notes),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class EngineFacts:
    """What the plan is computed from: the engine's `system df` (images, containers, build cache) and networks."""

    images: list[dict[str, Any]]
    containers: list[dict[str, Any]]
    networks: list[dict[str, Any]]
    build_cache: list[dict[str, Any]]


async def plan_prune(adapters: Adapters, options: PruneOptions, *, now: float | None = None) -> PrunePlan:
    """The plan for `options` against the engine now, limited to what this console may touch (see PruneScope)."""
    df, networks = await asyncio.gather(
        asyncio.to_thread(adapters.engine.disk_usage), asyncio.to_thread(adapters.engine.networks)
    )
    facts = EngineFacts(
        images=list(df.get('Images') or []),
        containers=list(df.get('Containers') or []),
        networks=networks,
        build_cache=list(df.get('BuildCache') or []),
    )
    # Only the unused-image rule needs the stacks' files (rendering them runs Compose once per stack).
    stack_images: frozenset[str] = frozenset()
    unreadable: list[str] = []
    if PruneKind.UNUSED_IMAGE in options.kinds:
        stack_images, unreadable = await images_of_stacks(adapters)
    return plan_from(
        facts,
        options,
        scope=PruneScope.of(adapters, options.label),
        configured_stacks=frozenset(adapters.config.stacks),
        stack_images=None if unreadable else stack_images,
        now=time.time() if now is None else now,
        unreadable=unreadable,
    )


async def images_of_stacks(adapters: Adapters) -> tuple[frozenset[str], list[str]]:
    """The image references the configured stacks' files name (kept even with no container), and the stacks whose
    files could not be read."""
    names: set[str] = set()
    unreadable: list[str] = []
    for stack, config in adapters.config.stacks.items():
        try:
            rendered = await adapters.compose.rendered(stack, config.files, adapters.repo_dir)
        except ComposeError:
            unreadable.append(stack)
            continue
        services = rendered.get('services')
        for service in services.values() if isinstance(services, dict) else ():
            if isinstance(service, dict) and isinstance(service.get('image'), str):
                names.add(normal_reference(service['image']))
    return frozenset(names), unreadable


def plan_from(
    facts: EngineFacts,
    options: PruneOptions,
    *,
    scope: PruneScope,
    configured_stacks: frozenset[str],
    stack_images: frozenset[str] | None,
    now: float,
    unreadable: list[str] | None = None,
) -> PrunePlan:
    """The plan, from the engine's answers alone (no I/O): what `plan_prune` and the tests compute."""
    notes: list[str] = []
    used_images = {str(c.get('ImageID') or '') for c in facts.containers}
    used_images |= {str(i['Id']) for i in facts.images if i.get('Containers', 0) not in (0, -1, None)}
    parents = {str(i.get('ParentId') or '') for i in facts.images}
    items: list[PruneItem] = []
    kinds = options.kinds
    if PruneKind.STOPPED_CONTAINER in kinds:
        items += [container_item(c) for c in facts.containers if container_prunable(c, scope, configured_stacks, now)]
    images = [i for i in facts.images if str(i['Id']) not in used_images and str(i['Id']) not in parents]
    images = [i for i in images if scope.allows(i.get('Labels'))]
    if PruneKind.DANGLING_IMAGE in kinds:
        items += [image_item(i, PruneKind.DANGLING_IMAGE, now) for i in images if is_dangling(i.get('RepoTags'))]
    if PruneKind.UNUSED_IMAGE in kinds:
        if stack_images is None:
            notes.append(
                f'Unused images were left out: the files of {", ".join(unreadable or [])} could not be read, so '
                'which images a stack needs is not known.'
            )
        else:
            items += [
                image_item(i, PruneKind.UNUSED_IMAGE, now)
                for i in images
                if image_old_and_unnamed(
                    i.get('RepoTags'), int(i.get('Created') or 0), options.older_than_seconds, stack_images, now
                )
            ]
    if PruneKind.UNUSED_NETWORK in kinds:
        used_networks = networks_of(facts.containers)
        items += [network_item(n) for n in facts.networks if network_prunable(n, used_networks, scope)]
    if PruneKind.BUILD_CACHE in kinds:
        if scope.attributable_only:
            notes.append(_build_cache_left_out(scope))
        else:
            items += [cache_item(entry) for entry in facts.build_cache if not entry.get('InUse')]
    if scope.project is not None:
        notes.append(
            f'HOMELAB_ENV=dev: only containers, images and networks labelled for the {scope.project!r} project '
            'are considered.'
        )
    if any(item.kind in (PruneKind.DANGLING_IMAGE, PruneKind.UNUSED_IMAGE) for item in items):
        notes.append(SHARED_LAYERS_NOTE)
    order = list(PruneKind)
    items.sort(key=lambda item: (order.index(item.kind), -item.size, item.name))
    return PrunePlan(items=tuple(items), notes=tuple(notes), stack_images=stack_images or frozenset())


# ---- items -------------------------------------------------------------------------------------------------------


def container_item(summary: dict[str, Any]) -> PruneItem:
    names = summary.get('Names') or []
    name = str(names[0]).lstrip('/') if names else str(summary['Id'])[:12]
    return PruneItem(
        kind=PruneKind.STOPPED_CONTAINER,
        id=str(summary['Id']),
        name=name,
        size=_bytes(summary.get('SizeRw')),
        detail=f'{summary.get("Status") or summary.get("State")}, image {summary.get("Image") or "?"}',
    )


def image_item(summary: dict[str, Any], kind: PruneKind, now: float) -> PruneItem:
    image_id = str(summary['Id'])
    tags = [tag for tag in summary.get('RepoTags') or [] if tag != '<none>:<none>']
    size, shared = _bytes(summary.get('Size')), _bytes(summary.get('SharedSize'))
    days = max(0, int(now - int(summary.get('Created') or 0)) // 86400)
    return PruneItem(
        kind=kind,
        id=image_id,
        name=', '.join(tags) if tags else f'untagged {image_id.removeprefix("sha256:")[:12]}',
        size=max(0, size - shared),
        detail=f'created {days} d ago',
    )


def network_item(network: dict[str, Any]) -> PruneItem:
    return PruneItem(
        kind=PruneKind.UNUSED_NETWORK,
        id=str(network['Id']),
        name=str(network.get('Name') or ''),
        size=0,
        detail=f'{network.get("Driver") or "?"} network',
    )


def cache_item(entry: dict[str, Any]) -> PruneItem:
    shared = bool(entry.get('Shared'))
    return PruneItem(
        kind=PruneKind.BUILD_CACHE,
        id=str(entry['ID']),
        name=str(entry.get('Description') or entry.get('Type') or 'build cache record'),
        size=0 if shared else _bytes(entry.get('Size')),
        detail=('shared with other records, ' if shared else '') + f'last used {entry.get("LastUsedAt") or "never"}',
    )


def _build_cache_left_out(scope: PruneScope) -> str:
    why = 'HOMELAB_ENV=dev' if scope.project is not None else f'only items labelled {scope.label!r}'
    return f'Build cache was left out ({why}): it carries no labels, so whose it is cannot be told.'


def _bytes(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 0
