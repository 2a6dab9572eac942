"""What a prune would remove, item by item with the space each frees: what a preview shows and a prune removes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ops.adapters import Adapters
from ops.config import HomelabConfig, parse_duration
from ops.maintenance.prune_keep import STORE_ERRORS, STORE_UNREADABLE, rollback_needs, stack_needs
from ops.maintenance.prune_rules import (
    STACK_BUILD,
    STACK_FILES,
    Kept,
    PruneScope,
    container_prunable,
    digest_reference,
    image_old_and_tagged,
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
    kept: Kept = field(default_factory=Kept)  # what was kept though unused: the re-check keeps it too

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
    # Only the image and network rules need the stacks' files (rendering them runs Compose once per stack) and the
    # rollback records.
    image_kinds = bool(options.kinds & {PruneKind.DANGLING_IMAGE, PruneKind.UNUSED_IMAGE})
    needs = await stack_needs(adapters) if image_kinds or PruneKind.UNUSED_NETWORK in options.kinds else None
    rollbacks: tuple[tuple[str, frozenset[str]], ...] = ()
    records_unknown = None
    if image_kinds:
        try:
            rollbacks = await rollback_needs(adapters.config.maintenance.known_good)
        except STORE_ERRORS:
            records_unknown = STORE_UNREADABLE
    builds = (STACK_BUILD, frozenset(needs.builds if needs else ()))
    return plan_from(
        facts,
        options,
        scope=PruneScope.of(adapters, options.label),
        configured_stacks=frozenset(adapters.config.stacks),
        stack_images=None if needs is None or needs.unreadable else frozenset(needs.images),
        now=time.time() if now is None else now,
        unreadable=needs.unreadable if needs else None,
        kept=Kept(images=(builds, *rollbacks), networks=frozenset(needs.networks if needs else ())),
        images_unknown=records_unknown,
    )


def plan_from(
    facts: EngineFacts,
    options: PruneOptions,
    *,
    scope: PruneScope,
    configured_stacks: frozenset[str],
    stack_images: frozenset[str] | None,
    now: float,
    unreadable: list[str] | None = None,
    kept: Kept | None = None,
    images_unknown: str | None = None,
) -> PrunePlan:
    """The plan, from the engine's answers alone (no I/O): what `plan_prune` and the tests compute. `kept` says
    what else is kept though unused (besides `stack_images`); with `images_unknown` (why) no image is listed."""
    notes: list[str] = []
    # What the stacks' files name (tags and digests) is kept first; then builds, pins, known-good states.
    named = frozenset({digest_reference(ref) or normal_reference(ref) for ref in stack_images or ()})
    kept = Kept(images=((STACK_FILES, named), *(kept or Kept()).images), networks=(kept or Kept()).networks)
    used_images = {str(c.get('ImageID') or '') for c in facts.containers}
    used_images |= {str(i['Id']) for i in facts.images if i.get('Containers', 0) not in (0, -1, None)}
    parents = {str(i.get('ParentId') or '') for i in facts.images}
    items: list[PruneItem] = []
    kinds = options.kinds
    if PruneKind.STOPPED_CONTAINER in kinds:
        items += [container_item(c) for c in facts.containers if container_prunable(c, scope, configured_stacks, now)]
    images = [i for i in facts.images if str(i['Id']) not in used_images and str(i['Id']) not in parents]
    images = [i for i in images if scope.allows(i.get('Labels'))]
    unreadable_text = f'the files of {", ".join(unreadable or [])} could not be read'
    if kinds & {PruneKind.DANGLING_IMAGE, PruneKind.UNUSED_IMAGE}:
        unknown = f'{unreadable_text}, so which images a stack needs is not known' if stack_images is None else None
        if unknown or images_unknown:
            notes.append(f'Dangling and unused images were left out: {unknown or images_unknown}.')
        else:
            found, whys = _images(images, options, kept, now)
            items += found
            notes += [_kept_note('image', whys)] if whys else []
    if PruneKind.UNUSED_NETWORK in kinds:
        if stack_images is None:
            notes.append(f'Unused networks were left out: {unreadable_text}, so which networks a stack declares is '
                         'not known.')  # fmt: skip
        else:
            found, whys = _networks(facts, kept, scope, configured_stacks)
            items += found
            notes += [_kept_note('network', whys)] if whys else []
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
    return PrunePlan(items=tuple(items), notes=tuple(notes), kept=kept)


def _images(
    images: list[dict[str, Any]], options: PruneOptions, kept: Kept, now: float
) -> tuple[list[PruneItem], list[str]]:
    """The dangling and old unused images (of those no container uses) nothing else needs; why each other was kept."""
    items: list[PruneItem] = []
    whys: list[str] = []
    for image in images:
        tags = image.get('RepoTags')
        if is_dangling(tags):
            kind = PruneKind.DANGLING_IMAGE
        elif image_old_and_tagged(tags, int(image.get('Created') or 0), options.older_than_seconds, now):
            kind = PruneKind.UNUSED_IMAGE
        else:
            continue
        if kind not in options.kinds:
            continue
        why = kept.image_why(str(image['Id']), tags, image.get('RepoDigests'))
        if why is None:
            items.append(image_item(image, kind, now))
        else:
            whys.append(why)
    return items, whys


def _networks(
    facts: EngineFacts, kept: Kept, scope: PruneScope, configured: frozenset[str]
) -> tuple[list[PruneItem], list[str]]:
    """The networks no container is attached to and no configured stack declares; why each other was kept."""
    used = networks_of(facts.containers)
    items: list[PruneItem] = []
    whys: list[str] = []
    for network in facts.networks:
        if not network_prunable(network, used, scope):
            continue
        why = kept.network_why(network, configured)
        if why is None:
            items.append(network_item(network))
        else:
            whys.append(why)
    return items, whys


def _kept_note(noun: str, whys: list[str]) -> str:
    """`Kept 3 images though no container uses them: 2 held by an active rollback pin, 1 ...`."""
    counts = {why: whys.count(why) for why in dict.fromkeys(whys)}
    reasons = ', '.join(f'{count} {why}' for why, count in counts.items())
    return f'Kept {len(whys)} {noun}{"s" if len(whys) != 1 else ""} though no container uses them: {reasons}.'


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
