"""World checks: is the request's target real, configured and in scope? Run before anything executes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from ops.adapters import DEV_PROJECT, Adapters
from ops.docker.containers import ContainerInfo
from ops.errors import Refused
from ops.host.request_files import RequestKind, read_pending
from ops.params import ContainerParams

_FULL_ID = re.compile(r'[0-9a-f]{64}')
_ID_PREFIX = re.compile(r'[0-9a-f]{12,64}')
C = TypeVar('C', bound=ContainerParams)


async def resolved_container(params: C, adapters: Adapters, mutating: bool) -> C:
    """The world check of an operation on one container: the container must exist (and, for a change, be in scope);
    the handler gets its full id, so the container checked is the one acted on (a name could be another container's
    id to the engine)."""
    info = await container_in_scope(params.container, adapters, mutating)
    return params.model_copy(update={'container': info.id})


async def container_in_scope(reference: str, adapters: Adapters, mutating: bool) -> ContainerInfo:
    """The container a reference means, resolved once (see `resolve_container`); in dev mode a mutating operation
    may only touch homelab-dev. Act on the returned `.id` only: a name can be taken by another container later."""
    info = resolve_container(reference, await asyncio.to_thread(adapters.engine.list_containers))
    if mutating:
        stack_in_scope(info.stack, adapters)
    return info


def resolve_container(reference: str, containers: Sequence[ContainerInfo]) -> ContainerInfo:
    """The container `reference` means to the engine itself: an exact full id first, then an exact name, then an
    unambiguous id prefix of at least 12 characters, so a reference means here what it means to `docker`. (A
    name can be anything, even another container's full id: that is why operations act on the resolved id.)"""
    if _FULL_ID.fullmatch(reference):
        exact = [c for c in containers if c.id == reference]
        if exact:
            return exact[0]
    named = [c for c in containers if c.name == reference]
    if named:
        return named[0]
    if _ID_PREFIX.fullmatch(reference):
        prefixed = [c for c in containers if c.id.startswith(reference)]
        if len(prefixed) > 1:
            raise Refused(f'{reference!r} is the start of {len(prefixed)} container ids: give more of the id')
        if prefixed:
            return prefixed[0]
    raise Refused(f'no container named {reference!r}')


def stack_in_scope(stack: str | None, adapters: Adapters) -> None:
    if adapters.env == 'dev' and stack != DEV_PROJECT:
        raise Refused(
            f'HOMELAB_ENV=dev: changes are limited to the {DEV_PROJECT!r} project '
            f'(this is {stack or "not part of any Compose project"!r})'
        )


def stack_configured(stack: str, adapters: Adapters, mutating: bool) -> None:
    if stack not in adapters.config.stacks:
        raise Refused(f'stack {stack!r} is not configured (add [stacks.{stack}] to the config)')
    if mutating:
        stack_in_scope(stack, adapters)


def unit_allowed(unit: str, adapters: Adapters) -> None:
    if unit not in adapters.config.journal.units:
        raise Refused(f'unit {unit!r} is not in the journal allowlist ([journal] units)')


def probe_configured(name: str, adapters: Adapters) -> None:
    if name not in adapters.config.probes:
        raise Refused(f'probe {name!r} is not configured ([probes.{name}])')


def no_request_pending(kind: RequestKind) -> Callable[[object, Adapters, bool], Awaitable[None]]:
    """The world check of a host request: one request of its kind at a time, across runs too (a pending one has not
    been picked up by the host yet)."""

    async def check(params: object, adapters: Adapters, mutating: bool) -> None:
        pending = await asyncio.to_thread(read_pending, adapters.requests_dir, kind)
        if pending is not None:
            raise Refused(
                f'a {kind} request is already pending (id {pending.get("id")}, '
                f'requested {pending.get("requested_at")}); is homelab-{kind}.path installed and enabled on the host?'
            )

    return check
