"""Rollback pins: the services held on an earlier image, and the override file made from all of a stack's pins."""

from __future__ import annotations

import asyncio
import logging

from ops.adapters import Adapters
from ops.clock import utc_now
from ops.docker.compose import ComposeError
from ops.errors import OperationFailed
from ops.maintenance.overrides import write_override
from ops.maintenance.records import KnownGood, RollbackPin

log = logging.getLogger(__name__)


async def active_pins(stack: str | None = None) -> list[RollbackPin]:
    """The pins not released yet (of one stack, or all), by stack and service."""
    query = RollbackPin.filter(released_at__isnull=True)
    if stack is not None:
        query = query.filter(stack=stack)
    return await query.order_by('stack', 'service', '-id')


async def pinned_services() -> dict[str, tuple[tuple[str, str], ...]]:
    """Per stack, its pinned services and the digest each is held on."""
    found: dict[str, list[tuple[str, str]]] = {}
    for pin in await active_pins():
        found.setdefault(pin.stack, []).append((pin.service, pin.digest))
    return {stack: tuple(pins) for stack, pins in found.items()}


async def active_pin(stack: str, service: str) -> RollbackPin | None:
    """The service's pin, if it is pinned."""
    return await RollbackPin.filter(stack=stack, service=service, released_at__isnull=True).order_by('-id').first()


async def pin_service(state: KnownGood, *, actor: str, reason: str, wanted: str) -> RollbackPin:
    """Pin the service to the known-good state's digest (an earlier pin of the service is released by this one)."""
    await release_pins(state.stack, state.service, actor=actor)
    return await RollbackPin.create(
        stack=state.stack,
        service=state.service,
        image=wanted[:512],
        digest=state.digest,
        known_good_id=state.id,
        reason=reason[:2000],
        pinned_by=actor[:128],
    )


async def restore_pins(stack: str, service: str, earlier: list[int], *, actor: str) -> None:
    """Put the service's pins back as they were: the active ones now released, the `earlier` ones active again."""
    await release_pins(stack, service, actor=actor)
    if earlier:
        await RollbackPin.filter(id__in=earlier).update(released_at=None, released_by=None)


async def release_pins(stack: str, service: str, *, actor: str) -> int:
    """Mark the service's pins released; how many were active."""
    return await RollbackPin.filter(stack=stack, service=service, released_at__isnull=True).update(
        released_at=utc_now(), released_by=actor[:128]
    )


async def sync_override(adapters: Adapters, stack: str) -> bool:
    """Rewrite the stack's override file from its active pins of services its files still declare (removed when
    none); whether one is there now. A pin of a service gone from the files stays active (shown, to be released) but
    is left out: Compose would otherwise bring the service back as a bare container of the pinned image."""
    path = adapters.compose.override_path(stack)
    if path is None:
        raise OperationFailed('this console has no override directory: a rollback cannot be pinned')
    pins = await active_pins(stack)
    declared = await declared_services(adapters, stack) if pins else None  # no pins: no need to ask Compose
    images = {pin.service: pin.digest for pin in pins if declared is None or pin.service in declared}
    try:
        return await asyncio.to_thread(write_override, path, images)
    except OSError as err:
        raise OperationFailed(f'the override file {path} could not be written: {err}') from err


async def declared_services(adapters: Adapters, stack: str) -> frozenset[str] | None:
    """The services the stack's own files declare (without the override); None when Compose cannot read them (then
    every call of the stack fails anyway, whatever the override says)."""
    config = adapters.config.stacks.get(stack)
    if config is None:
        return None
    try:
        return await adapters.compose.declared_services(stack, config.files, adapters.repo_dir)
    except ComposeError as err:
        log.info('the files of %s cannot be read to check its pins: %s', stack, err)
        return None


async def stale_pins(adapters: Adapters, pins: list[RollbackPin]) -> set[tuple[str, str]]:
    """The (stack, service) of the pins whose service the stack's files no longer declare."""
    stale: set[tuple[str, str]] = set()
    for stack in sorted({pin.stack for pin in pins}):
        declared = await declared_services(adapters, stack)
        if declared is not None:
            stale |= {(stack, pin.service) for pin in pins if pin.stack == stack and pin.service not in declared}
    return stale


async def sync_all_overrides(adapters: Adapters) -> None:
    """At start: every configured stack's override file says what its active pins say (one restored from a backup,
    or left by a release in another process, is put right before Compose is first called)."""
    for stack in sorted(adapters.config.stacks):
        try:
            await sync_override(adapters, stack)
        except OperationFailed as err:  # the console still starts; the stack's calls say what is wrong
            log.warning('%s', err)
