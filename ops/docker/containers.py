"""A container as the engine's container list shows it: state, health and stack, without a per-container inspect."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ops.docker.labels import CONFIG_HASH_LABEL, PROJECT_LABEL, SERVICE_LABEL


class ContainerState(StrEnum):
    """The engine's word for where a container is in its life (`State` of the container list)."""

    CREATED = 'created'
    RUNNING = 'running'
    PAUSED = 'paused'
    RESTARTING = 'restarting'
    REMOVING = 'removing'
    EXITED = 'exited'
    DEAD = 'dead'


class Health(StrEnum):
    """The engine's word for a healthcheck's verdict (none when the container has no healthcheck)."""

    STARTING = 'starting'
    HEALTHY = 'healthy'
    UNHEALTHY = 'unhealthy'


_HEALTH_IN_STATUS = re.compile(r'\((healthy|unhealthy|health: starting)\)')
_EXIT_IN_STATUS = re.compile(r'^Exited \((-?\d+)\)')


@dataclass(frozen=True, kw_only=True, slots=True)
class ContainerInfo:
    """One container as the console shows it."""

    id: str
    name: str
    stack: str | None
    service: str | None
    state: str
    health: str | None
    image: str
    status: str
    created: int
    config_hash: str | None = None
    exit_code: int | None = None
    image_id: str = ''

    @property
    def short_id(self) -> str:
        return self.id[:12]


def container_from_summary(summary: dict[str, Any]) -> ContainerInfo:
    """Build a ContainerInfo from one entry of the engine's container list (no per-container inspect)."""
    labels = summary.get('Labels') or {}
    status = summary.get('Status') or ''
    match = _HEALTH_IN_STATUS.search(status)
    health = None
    if match:
        health = 'starting' if match.group(1) == 'health: starting' else match.group(1)
    exited = _EXIT_IN_STATUS.match(status)
    names = summary.get('Names') or ['/' + summary['Id'][:12]]
    return ContainerInfo(
        id=summary['Id'],
        name=names[0].lstrip('/'),
        stack=labels.get(PROJECT_LABEL),
        service=labels.get(SERVICE_LABEL),
        state=summary.get('State') or 'unknown',
        health=health,
        image=summary.get('Image') or '',
        status=status,
        created=int(summary.get('Created') or 0),
        config_hash=labels.get(CONFIG_HASH_LABEL),
        exit_code=int(exited.group(1)) if exited else None,
        image_id=summary.get('ImageID') or '',
    )
