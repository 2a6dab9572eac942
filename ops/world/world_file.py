"""`$DATA/world/world.json`: the last synthesized world, deterministic for the same containers.

Kept current by WorldFileWriter (following the observer) and rebuilt offline by `homelab world rebuild`.
Nothing time-relative goes in ("Up 5 seconds" status text); only `generated_at` changes between two writes of
the same world, and comparable() drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ops.clock import utc_now_iso
from ops.docker.containers import ContainerInfo, ContainerState, Health

log = logging.getLogger(__name__)

WORLD_SCHEMA = 1
VOLATILE_KEYS = ('generated_at',)


def world_path(data_dir: Path) -> Path:
    return data_dir / 'world' / 'world.json'


class WorldFileWriter:
    """Writes `world()` to world.json after each change(), at most every `interval` seconds, and once more at close
    (if it ran)."""

    def __init__(self, path: Path, world: Callable[[], dict[str, Any]], *, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._world = world
        self._dirty = asyncio.Event()
        self._ran = False

    def changed(self, _what: object = None) -> None:
        """The world changed (a subscriber of the observer's events): write it soon."""
        self._dirty.set()

    async def run(self) -> None:
        """Write on change until cancelled."""
        self._ran = True
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await self.write()
            await asyncio.sleep(self.interval)

    async def close(self) -> None:
        """The last write, once run() is cancelled: the world as it was at the stop."""
        if self._ran:
            await self.write()

    async def write(self) -> None:
        try:
            await asyncio.to_thread(write_world, self.path, self._world())
        except OSError as err:
            log.warning('cannot write %s: %s', self.path, err)


def container_entry(info: ContainerInfo) -> dict[str, Any]:
    """The stable facts of one container (no status text, no creation-relative times)."""
    return {
        'id': info.id,
        'name': info.name,
        'stack': info.stack,
        'service': info.service,
        'state': info.state,
        'health': info.health,
        'image': info.image,
        'image_id': info.image_id,
        'config_hash': info.config_hash,
        'exit_code': info.exit_code,
    }


def world_snapshot(
    containers: Iterable[ContainerInfo],
    *,
    engine_reachable: bool | None = None,
    engine_error: str = '',
    source: str = 'engine',
    generated_at: str | None = None,
) -> dict[str, Any]:
    """The world as a JSON-ready dict: containers (sorted), images by id, stacks with their counts."""
    infos = sorted(containers, key=lambda info: (info.name, info.id))
    images: dict[str, set[str]] = {}
    stacks: dict[str, dict[str, Any]] = {}
    for info in infos:
        if info.image_id:
            refs = images.setdefault(info.image_id, set())
            if info.image and info.image != info.image_id:
                refs.add(info.image)
        if info.stack:
            stack = stacks.setdefault(info.stack, {'services': {}, 'total': 0, 'running': 0, 'unhealthy': 0})
            stack['services'].setdefault(info.service or '', []).append(info.name)
            stack['total'] += 1
            stack['running'] += info.state == ContainerState.RUNNING
            stack['unhealthy'] += info.health == Health.UNHEALTHY
    for stack in stacks.values():
        stack['services'] = {name: sorted(names) for name, names in sorted(stack['services'].items())}
    return {
        'schema': WORLD_SCHEMA,
        'source': source,
        'engine': {'reachable': engine_reachable, 'error': engine_error or None},
        'containers': [container_entry(info) for info in infos],
        'images': {image_id: sorted(refs) for image_id, refs in sorted(images.items())},
        'stacks': dict(sorted(stacks.items())),
        'generated_at': generated_at or utc_now_iso(),
    }


def comparable(world: dict[str, Any]) -> dict[str, Any]:
    """The world without the fields that change on every write (for comparing two snapshots)."""
    return {key: value for key, value in world.items() if key not in VOLATILE_KEYS}


def encode_world(world: dict[str, Any]) -> bytes:
    return (json.dumps(world, sort_keys=True, indent=2, ensure_ascii=False) + '\n').encode('utf-8', 'backslashreplace')


def write_world(path: Path, world: dict[str, Any]) -> None:
    """Write world.json atomically (blocking: run it off the event loop)."""
    atomic_write(path, encode_world(world))


def read_world(path: Path) -> dict[str, Any] | None:
    """The stored world, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_bytes().decode('utf-8'))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once: a temp file in the same directory, fsync, rename, fsync the dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
