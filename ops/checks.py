"""World checks: is the request's target real, configured and in scope? Run before anything executes."""

from __future__ import annotations

import asyncio

from ops.docker.engine import ContainerInfo
from ops.errors import Refused
from ops.services import DEV_PROJECT, Services


async def container_in_scope(name: str, services: Services, mutating: bool) -> ContainerInfo:
    """The container by exact name (or id); in dev mode a mutating operation may only touch homelab-dev."""
    found = await asyncio.to_thread(services.engine.list_containers, name=f'^/?{name}$')
    info = next((c for c in found if c.name == name or c.id.startswith(name)), None)
    if info is None:
        found = await asyncio.to_thread(services.engine.list_containers, id=name) if len(name) >= 12 else []
        info = found[0] if found else None
    if info is None:
        raise Refused(f'no container named {name!r}')
    if mutating:
        stack_in_scope(info.stack, services)
    return info


def stack_in_scope(stack: str | None, services: Services) -> None:
    if services.env == 'dev' and stack != DEV_PROJECT:
        raise Refused(
            f'HOMELAB_ENV=dev: changes are limited to the {DEV_PROJECT!r} project '
            f'(this is {stack or "not part of any Compose project"!r})'
        )


def stack_configured(stack: str, services: Services, mutating: bool) -> None:
    if stack not in services.config.stacks:
        raise Refused(f'stack {stack!r} is not configured (add [stacks.{stack}] to the config)')
    if mutating:
        stack_in_scope(stack, services)


def unit_allowed(unit: str, services: Services) -> None:
    if unit not in services.config.journal.units:
        raise Refused(f'unit {unit!r} is not in the journal allowlist ([journal] units)')


def probe_configured(name: str, services: Services) -> None:
    if name not in services.config.probes:
        raise Refused(f'probe {name!r} is not configured ([probes.{name}])')
