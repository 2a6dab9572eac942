"""Known-good states: what a recreate replaced (image by digest, config hash, masked settings), recorded per service."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from ops.adapters import Adapters
from ops.clock import utc_now
from ops.docker.compose import UpResult
from ops.docker.details import ContainerDetails, ImageRef, repository_of
from ops.docker.engine import EngineError
from ops.docker.labels import PROJECT_LABEL
from ops.maintenance.records import KnownGood
from ops.world.freshness import familiar

log = logging.getLogger(__name__)

# Compose's steps for a container it replaced (not one it created for the first time).
_RECREATED = frozenset({'Recreate', 'Recreated'})
KEEP = 50  # states kept per service (the most `maintenance.known_good` may offer); older ones are deleted
# How long a container must have run, without a restart, to count as having run well (a restart-always crash
# loop is `running` between its deaths: its restart count and a short uptime give it away).
MIN_UPTIME = timedelta(seconds=30)
# A container the engine has restarted counts again once it has stayed up this long since its last start: the engine's
# restart back-off tops out at a minute, so a crash loop never gets this far, while a crash weeks ago does not
# disqualify a service that has run well since (RestartCount is never reset while the container lives).
SETTLED_AFTER_RESTARTS = timedelta(minutes=10)
_ENGINE_TIME = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$')


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceState:
    """One service's container as it was just before a `compose up`."""

    stack: str
    service: str
    container_name: str
    image: str
    digest: str
    image_id: str
    config_hash: str
    settings: dict[str, Any]
    healthy: bool


async def snapshot_stack(adapters: Adapters, stack: str) -> dict[str, ServiceState]:
    """Per service, the state of its container now (read before a recreate); a failure only loses the record."""
    try:
        return await asyncio.to_thread(_snapshot, adapters, stack)
    except EngineError as err:
        log.warning('known-good snapshot of %s failed, the recreate is not recorded: %s', stack, err)
        return {}


def _snapshot(adapters: Adapters, stack: str) -> dict[str, ServiceState]:
    engine = adapters.engine
    found: dict[str, ServiceState] = {}
    for info in sorted(engine.list_containers(label=f'{PROJECT_LABEL}={stack}'), key=lambda c: c.name):
        if not info.service or info.service in found:
            continue  # one container per service is what a rollback can pin (a scaled service: its first)
        details = engine.inspect(info.id)
        image = engine.image_ref(details.image_id) if details.image_id else None
        found[info.service] = state_of(stack, info.service, details, image)
    return found


def state_of(
    stack: str, service: str, details: ContainerDetails, image: ImageRef | None, *, now: datetime | None = None
) -> ServiceState:
    """A container's state as a known-good row keeps it (the settings already masked by the inspect)."""
    return ServiceState(
        stack=stack,
        service=service,
        container_name=details.name,
        image=details.image,
        digest=digest_of(details.image, image.repo_digests if image else details.repo_digests, details.image_id),
        image_id=details.image_id,
        config_hash=details.config_hash or '',
        settings=settings_of(details),
        healthy=ran_well(details, now or utc_now()),
    )


def ran_well(details: ContainerDetails, now: datetime) -> bool:
    """Running, healthy when it has a healthcheck, and up for MIN_UPTIME at least (SETTLED_AFTER_RESTARTS when the
    engine has restarted it: a crash loop caught between two deaths does not count)."""
    started = engine_time(details.started_at)
    settled = MIN_UPTIME if details.restart_count == 0 else max(MIN_UPTIME, SETTLED_AFTER_RESTARTS)
    return (
        details.state == 'running'
        and details.health.status in ('none', 'healthy')
        and started is not None
        and now - started >= settled
    )


def engine_time(value: str | None) -> datetime | None:
    """An engine time (RFC 3339 with nanoseconds, like StartedAt) as an aware datetime; None when unknown."""
    match = _ENGINE_TIME.match(value.strip()) if value else None
    if match is None:
        return None
    whole, zone = match.groups()
    return datetime.fromisoformat(whole + ('+00:00' if zone == 'Z' else zone))


def digest_of(reference: str, repo_digests: Iterable[str], image_id: str) -> str:
    """`repository@sha256:...` of the image for the repository the reference names, else the local image id."""
    repository = familiar(repository_of(reference))
    for candidate in repo_digests:
        if familiar(candidate.split('@', 1)[0]) == repository:
            return candidate
    return image_id


def settings_of(details: ContainerDetails) -> dict[str, Any]:
    """What the container was run with, as a page may show it (secret-looking values are masked already)."""
    return {
        'environment': {env.name: env.value for env in details.environment},
        'ports': [asdict(port) for port in details.ports],
        'mounts': [asdict(mount) for mount in details.mounts],
        'networks': sorted(net.name for net in details.networks),
        'restart_policy': details.restart_policy,
    }


async def record_replaced(before: dict[str, ServiceState], up: UpResult, *, run_id: int | None) -> list[KnownGood]:
    """A row for each service Compose recreated, from its state before the `up` (new services have none). The
    recreate has happened whatever the store says: a row that cannot be written is logged, never raised."""
    rows: list[KnownGood] = []
    for service in sorted(up.steps):
        state = before.get(service)
        if state is None or not _RECREATED.intersection(up.steps[service]):
            continue
        try:
            rows.append(await _store(state, run_id))
            await _trim(state.stack, state.service)
        except Exception as err:  # no store, or a busy one: the recreate stands, only its record is lost
            log.warning('the known-good state of %s/%s was not recorded: %s', state.stack, service, err)
    return rows


async def _store(state: ServiceState, run_id: int | None) -> KnownGood:
    return await KnownGood.create(
        stack=state.stack,
        service=state.service,
        container_name=state.container_name[:255],
        image=state.image[:512],
        digest=state.digest[:512],
        image_id=state.image_id[:128],
        config_hash=state.config_hash[:64],
        settings=state.settings,
        healthy=state.healthy,
        run_id=run_id,
    )


async def _trim(stack: str, service: str) -> None:
    kept = await KnownGood.filter(stack=stack, service=service).order_by('-recorded_at', '-id').offset(KEEP).limit(1000)
    if kept:
        await KnownGood.filter(id__in=[row.id for row in kept]).delete()


async def known_good(stack: str, service: str, *, limit: int) -> list[KnownGood]:
    """The service's last `limit` states that ran well when they were replaced, newest first."""
    query = KnownGood.filter(stack=stack, service=service, healthy=True)
    return await query.order_by('-recorded_at', '-id').limit(limit)


def settings_diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The settings that differ between two states (running -> wanted rows, as the plan preview shows them)."""
    rows: list[dict[str, Any]] = []
    env_before, env_after = before.get('environment') or {}, after.get('environment') or {}
    for name in sorted(set(env_before) | set(env_after)):
        if env_before.get(name) != env_after.get(name):
            rows.append(
                {'setting': f'environment {name}', 'running': env_before.get(name), 'wanted': env_after.get(name)}
            )
    for key in ('ports', 'mounts', 'networks', 'restart_policy'):
        if before.get(key) != after.get(key):
            rows.append({'setting': key, 'running': _text(before.get(key)), 'wanted': _text(after.get(key))})
    return rows


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ', '.join(_item(v) for v in value) or '(none)'
    return str(value)


def _item(value: object) -> str:
    if isinstance(value, dict):
        return ' '.join(f'{k}={v}' for k, v in value.items() if v not in (None, '', False))
    return str(value)
