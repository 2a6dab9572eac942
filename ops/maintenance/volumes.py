"""Named volumes as housekeeping sees them: size (the engine's df), which containers use them, and their stack."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from ops.adapters import Adapters
from ops.docker.labels import PROJECT_LABEL


@dataclass(frozen=True, kw_only=True, slots=True)
class VolumeFacts:
    """One volume: its name, size in bytes (None when the engine has not computed it), the containers (running or
    stopped) that mount it, and its Compose project if it has one."""

    name: str
    size: int | None
    used_by: tuple[str, ...]
    stack: str | None
    driver: str

    @property
    def in_use(self) -> bool:
        return bool(self.used_by)


async def volume_facts(adapters: Adapters) -> list[VolumeFacts]:
    """Every volume, by name, with its size and users: all from one `system df` (its containers carry their mounts)."""
    df = await asyncio.to_thread(adapters.engine.disk_usage)
    return volumes_from(list(df.get('Volumes') or []), list(df.get('Containers') or []))


def volumes_from(volumes: list[dict[str, Any]], containers: list[dict[str, Any]]) -> list[VolumeFacts]:
    users: dict[str, list[str]] = {}
    for container in containers:
        name = str((container.get('Names') or ['?'])[0]).lstrip('/')
        for mount in container.get('Mounts') or []:
            if mount.get('Type') == 'volume' and mount.get('Name'):
                users.setdefault(str(mount['Name']), []).append(name)
    facts = []
    for volume in volumes:
        size = (volume.get('UsageData') or {}).get('Size')
        facts.append(
            VolumeFacts(
                name=str(volume.get('Name') or ''),
                size=size if isinstance(size, int) and size >= 0 else None,
                used_by=tuple(sorted(users.get(str(volume.get('Name') or ''), []))),
                stack=(volume.get('Labels') or {}).get(PROJECT_LABEL),
                driver=str(volume.get('Driver') or ''),
            )
        )
    return sorted(facts, key=lambda v: v.name)
