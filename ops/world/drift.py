"""Drift: every difference between a stack's files (desired) and the engine's containers (observed)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ops.config import DriftKind
from ops.docker.containers import ContainerInfo, ContainerState
from ops.world.desired import StackWant

# A container in these states does not run its service (a `restarting` one is on its way back up).
_DOWN = frozenset({ContainerState.EXITED, ContainerState.CREATED, ContainerState.DEAD})
KIND_LABELS: dict[str, str] = {
    'missing': 'missing',
    'stopped': 'stopped',
    'config': 'config changed',
    'image': 'update available',
    'orphan': 'orphan',
    'invalid': 'invalid files',
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Drift:
    """One difference; `fingerprint` changes when the difference itself changes (another hash, digest...)."""

    stack: str
    kind: DriftKind
    service: str | None
    container: str | None
    detail: str
    fingerprint: str
    # The container's full id: an action acts on exactly the container that drifted, whatever its name means.
    container_id: str | None = None

    @property
    def subject(self) -> str:
        """What drifted, in words: the service, or the container for an orphan."""
        return self.service or self.container or self.stack

    @property
    def key(self) -> str:
        """The identity of this drift: one open action per key."""
        return f'{self.stack}:{self.kind}:{self.subject}:{self.fingerprint[:16]}'

    @property
    def actionable(self) -> bool:
        return self.kind != 'invalid'

    def as_json(self) -> dict[str, object]:
        return {
            'stack': self.stack,
            'kind': self.kind,
            'service': self.service,
            'container': self.container,
            'detail': self.detail,
            'key': self.key,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class ImageUpdate:
    """The registry serves another digest for the tag a running container was created from."""

    image: str
    running_digest: str | None
    registry_digest: str


def find_drift(
    want: StackWant, containers: Iterable[ContainerInfo], updates: Mapping[str, ImageUpdate] | None = None
) -> list[Drift]:
    """Compare one stack: `containers` are the engine's (any project: others are ignored), `updates` maps a
    container id to a newer image in its registry. Sorted by service, then kind."""
    if not want.valid:
        error = want.error or 'invalid'
        fingerprint = hashlib.sha256(error.encode()).hexdigest()
        return [
            Drift(stack=want.name, kind='invalid', service=None, container=None, detail=error, fingerprint=fingerprint)
        ]
    updates = updates or {}
    mine = [c for c in containers if c.stack == want.name]
    by_service: dict[str, list[ContainerInfo]] = {}
    for info in mine:
        by_service.setdefault(info.service or '', []).append(info)
    drifts: list[Drift] = []

    def found(
        kind: DriftKind,
        service: str | None,
        container: str | None,
        detail: str,
        fingerprint: str,
        *,
        container_id: str | None = None,
    ) -> None:
        drifts.append(
            Drift(
                stack=want.name,
                kind=kind,
                service=service,
                container=container,
                container_id=container_id,
                detail=detail,
                fingerprint=fingerprint,
            )
        )

    for name, service in want.services.items():
        running = by_service.get(name, [])
        if not running:
            found('missing', name, None, f'no container runs service {name}', service.config_hash)
            continue
        for info in sorted(running, key=lambda c: c.name):
            if info.config_hash and info.config_hash != service.config_hash:
                detail = f'{info.name} runs config {info.config_hash[:12]}, the files say {service.config_hash[:12]}'
                found('config', name, info.name, detail, service.config_hash, container_id=info.id)
            elif info.state in _DOWN:
                code = f' (exit code {info.exit_code})' if info.exit_code is not None else ''
                found('stopped', name, info.name, f'{info.name} is {info.state}{code}', info.id, container_id=info.id)
            update = updates.get(info.id)
            if update is not None:
                detail = (
                    f'{update.image}: the registry has {update.registry_digest[:19]}…, '
                    f'{info.name} runs {(update.running_digest or "a local image")[:19]}…'
                )
                found('image', name, info.name, detail, update.registry_digest, container_id=info.id)
    for service_name, infos in sorted(by_service.items()):
        if service_name in want.services:
            continue
        for info in sorted(infos, key=lambda c: c.name):
            detail = f'{info.name} (service {service_name or "?"}) is not in the stack files'
            found('orphan', None, info.name, detail, info.id, container_id=info.id)
    return sorted(drifts, key=lambda d: (d.subject, d.kind))
