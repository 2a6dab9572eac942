"""A rollback proposal in words: its title, why, and the plan (steps, the override it writes, what changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops.clock import age_text
from ops.maintenance.known_good import ServiceState, settings_diff
from ops.maintenance.overrides import render_override
from ops.maintenance.records import KnownGood
from ops.world.actions import Proposal

ROLLBACK_KIND = 'rollback'


def rollback_key(state: KnownGood) -> str:
    """One proposal per service and known-good state, ever (a rejected one is not proposed again)."""
    return f'{state.stack}:{ROLLBACK_KIND}:{state.service}:kg{state.id}'


def short_digest(digest: str) -> str:
    """`localhost:5000/app@sha256:4f2a…` as `localhost:5000/app@sha256:4f2a9c1e0b7d`; an image id as `sha256:4f2a…`."""
    name, at, value = digest.rpartition('@')
    algorithm, _, hexes = value.partition(':')
    return f'{name}{at}{algorithm}:{hexes[:12]}' if hexes else digest


def rollback_proposal(
    state: KnownGood,
    *,
    container: str,
    why: str,
    now_running: ServiceState | None,
    override_path: Path | None,
    other_pins: dict[str, str],
) -> Proposal:
    """What approving the rollback does, for the Actions page (every value is shown as text there)."""
    service, digest = state.service, state.digest
    images = {**other_pins, service: digest}
    where = str(override_path) if override_path is not None else f'$DATA/overrides/{state.stack}.yml'
    steps = [
        f"Write the console's override file {where}: services.{service}.image = {digest}"
        + (f" (the stack's other pins stay: {', '.join(sorted(other_pins))})" if other_pins else ''),
        f'compose up -d {service}: recreate {container} on the earlier image, by digest (the repository is not '
        'touched; its files still name the newer image)',
        f'Keep {service} pinned: the stack shows "pinned by rollback" and no update of {service} is proposed until '
        'someone releases the pin (then the update is proposed again)',
    ]
    diff: list[dict[str, Any]] = []
    if now_running is not None:
        diff.append({'setting': 'image', 'running': now_running.digest, 'wanted': digest})
        diff += settings_diff(now_running.settings, state.settings or {})
    run = f' by run #{state.run_id}' if state.run_id else ''
    detail = (
        f'{container} {why} within {age_text(state.recorded_at)} of being recreated{run}. Before, {service} ran '
        f'{short_digest(digest)} ({"healthy" if state.healthy else "running"}), replaced at '
        f'{state.recorded_at:%Y-%m-%d %H:%M} UTC.'
    )
    return Proposal(
        stack=state.stack,
        service=service,
        container=container[:128],
        kind=ROLLBACK_KIND,
        key=rollback_key(state),
        title=f'Roll back {service} to {short_digest(digest)}'[:255],
        detail=detail,
        operation='stack_rollback',
        params={'stack': state.stack, 'service': service, 'known_good': state.id},
        plan={'steps': steps, 'dry_run': [], 'diff': diff, 'override': render_override(images)},
    )
