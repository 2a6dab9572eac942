"""Plan previews: what approving an action will do, before anything is done.

Compose's own `up --dry-run` says which containers it would create, recreate or start; the config diff
says which settings change. An orphan's plan is the removal itself (Compose has no dry run for one container).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ops.adapters import Adapters
from ops.docker.compose import Compose, ComposeError
from ops.docker.engine import EngineError
from ops.world.config_diff import config_diff
from ops.world.desired import StackWant
from ops.world.drift import Drift

_DRY_RUN_PREFIX = 'DRY-RUN MODE -'


def action_for(drift: Drift) -> tuple[str, dict[str, Any], str]:
    """The catalog operation, its params and a one-line title that bring this drift back in line."""
    if drift.kind == 'orphan':
        assert drift.container is not None
        # By full id: approving removes exactly the container that was seen orphaned (a name may be reused, or be
        # another container's id to the engine).
        return (
            'stack_orphan_remove',
            {'stack': drift.stack, 'container': drift.container_id or drift.container},
            f'Remove orphan {drift.container}',
        )
    assert drift.service is not None
    titles = {
        'missing': f'Create {drift.service}',
        'stopped': f'Start {drift.service}',
        'config': f'Recreate {drift.service} with the new config',
        'image': f'Pull and recreate {drift.service}',
    }
    params: dict[str, Any] = {'stack': drift.stack, 'service': drift.service}
    if drift.kind == 'image':
        params['pull'] = True
    return 'stack_service_up', params, titles[drift.kind]


async def plan_for(drift: Drift, want: StackWant, adapters: Adapters, compose: Compose) -> dict[str, Any]:
    """The preview stored with a proposed action: `dry_run` lines, `diff` rows, `steps` in words, `error`."""
    plan: dict[str, Any] = {'steps': [], 'dry_run': [], 'diff': [], 'error': None}
    if drift.kind == 'orphan':
        plan['steps'] = [f'stop {drift.container} (SIGTERM, SIGKILL after 10 s)', f'delete {drift.container}']
        return plan
    assert drift.service is not None
    service = want.services.get(drift.service)
    if drift.kind == 'image' and service is not None and service.image:
        plan['steps'].append(f'pull {service.image}, layer by layer')
    plan['steps'].append(f'compose up -d {drift.service}')
    try:
        lines = await compose.plan(drift.stack, want.files, adapters.repo_dir, [drift.service])
        plan['dry_run'] = [_plain(line) for line in lines if line.strip()]
    except ComposeError as err:
        plan['error'] = f'compose --dry-run failed: {err}'
    if drift.container and service is not None and drift.kind in {'config', 'image'}:
        try:
            running = await asyncio.to_thread(adapters.engine.running_config, drift.container_id or drift.container)
            plan['diff'] = [change.as_json() for change in config_diff(running, service.rendered)]
        except EngineError as err:
            plan['error'] = plan['error'] or f'the running config could not be read: {err}'
    return plan


def _plain(line: str) -> str:
    text = line.strip()
    return text.removeprefix(_DRY_RUN_PREFIX).strip()
