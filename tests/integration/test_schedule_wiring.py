"""The server's schedules reach the real tasks: a scheduled prune proposes one docker_prune action with its plan (and
runs nothing), a scheduled update-candidates check asks the registries; both audited as schedule:<name>. A scheduled
image check's update is proposed as the schedule, also when it settles at a later evaluation."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import docker.errors

from app.settings import Settings
from app.system import System
from ops.clock import utc_now
from ops.config import HomelabConfig
from ops.maintenance.schedule_tasks import image_check
from ops.store.models import Action, AuditEvent, Run
from ops.world.action_states import ActionState
from tests.helpers.docker_ops import BASE_IMAGE, AppTag, docker_client, engine_url, unique, write_stack
from tests.helpers.gitops import commit, gitops_loop, init_repo
from tests.helpers.rig import require_engine


async def test_scheduled_prune_and_candidates_only_propose_and_are_audited(tmp_path: Path) -> None:
    require_engine()
    config = HomelabConfig.model_validate(
        {
            'schedules': {
                'housekeeping': {'task': 'prune', 'at': ['Sun 04:00']},
                'candidates': {'task': 'update_candidates', 'at': ['03:00']},
            }
        }
    )
    settings = Settings(data_dir=tmp_path / 'data', repo_dir=tmp_path, docker_host=engine_url())
    client = docker_client()
    # A stopped container in the dev project's scope (HOMELAB_ENV=dev prunes only what carries its label).
    name = unique('hl-test-sched')
    client.api.create_container(BASE_IMAGE, ['true'], name=name, labels={'com.docker.compose.project': 'homelab-dev'})
    client.api.start(name)
    client.api.wait(name, timeout=30)
    system = System(settings, config)
    await system.start()
    try:
        ran = await system.scheduler.run_one('housekeeping', utc_now())
        assert ran.ok and ran.found['prune'] == 'proposed', ran.found
        action = await Action.get(id=ran.found['action_id'])
        assert action.operation == 'docker_prune' and action.kind == 'prune'
        # Approving runs docker_prune with `only` the ids of the items the card lists, nothing found later.
        shown = {k: v for k, v in action.params.items() if k != 'only'}
        assert action.state is ActionState.PENDING and shown == {'dry_run': False}
        stopped = client.api.inspect_container(name)['Id']
        assert stopped in action.params['only'], action.params
        assert all(any(item_id[:19] in step for step in action.plan['steps']) for item_id in action.params['only'])
        assert any(name in step for step in action.plan['steps']), action.plan
        again = await system.scheduler.run_one('housekeeping', utc_now())  # one open prune proposal at a time
        assert again.found == {'prune': 'already proposed', 'action_id': action.id}
        assert not await Run.filter(operation='docker_prune').exists()  # proposed, never run
        assert name in [c['Names'][0].lstrip('/') for c in client.api.containers(all=True, filters={'name': name})]

        checked = await system.scheduler.run_one('candidates', utc_now())
        assert checked.ok and checked.found == {'candidates': [], 'errors': []}, checked.found
        audited = await AuditEvent.filter(kind='schedule_ran').order_by('id')
        assert [event.actor for event in audited] == [
            'schedule:housekeeping',
            'schedule:housekeeping',
            'schedule:candidates',
        ]
        proposed = await AuditEvent.get(kind='action_proposed')
        assert proposed.actor == 'schedule:housekeeping'
    finally:
        await asyncio.wait_for(system.stop(), 20)
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
        client.close()


async def test_a_scheduled_image_check_proposes_the_update_as_the_schedule(tmp_path: Path, app_tag: AppTag) -> None:
    require_engine()
    stack_name = unique()
    await app_tag.push('v1')
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'image': app_tag.image}})
    commit(repo, 'app from the registry')
    async with gitops_loop(tmp_path, stack_name) as loop:
        await loop.up()
        await loop.in_line()
        await app_tag.push('v2')  # the registry moves on; the container still runs v1

        found = await image_check(loop.supervisor.evaluate)('schedule:nightly-images')
        assert found == {'image_updates': [f'{stack_name}/app']}
        # Proposed once the drift settled: by the supervisor's next evaluation, on behalf of the schedule.
        action = await loop.pending('image', 'app')
        proposed = [e for e in await AuditEvent.filter(kind='action_proposed') if e.detail['action_id'] == action.id]
        assert [(event.actor, event.origin) for event in proposed] == [('schedule:nightly-images', 'schedule')]
