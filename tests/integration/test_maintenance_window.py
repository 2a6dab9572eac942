"""Auto-approve outside a maintenance window waits, inside runs: the GitOps loop on the real engine, the windows'
clock moved by the test (nothing sleeps until a time of day)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ops.maintenance.policy import AutoApproval
from ops.maintenance.window_watch import WindowWatch
from ops.maintenance.windows import MaintenanceWindows
from ops.store.audit_kinds import AuditKind
from ops.store.models import Action, AuditEvent
from ops.world.actions import POLICY_ACTOR
from tests.helpers.docker_ops import docker_client, unique, write_stack
from tests.helpers.gitops import commit, gitops_loop, init_repo
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async

BERLIN = ZoneInfo('Europe/Berlin')


async def test_auto_approve_outside_a_window_waits_and_inside_runs(tmp_path: Path) -> None:
    require_engine()
    stack = unique()
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {}})
    commit(repo, 'one service')
    clock = {'now': datetime(2026, 12, 6, 1, 0, tzinfo=BERLIN)}  # a Sunday, two hours before the window
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=lambda: clock['now'])
    async with gitops_loop(tmp_path, stack, auto_approve=['stopped'], windows=windows) as loop:
        policy = AutoApproval(loop.adapters.config.stacks, windows)
        watch = WindowWatch(windows, opened=lambda opening: loop.supervisor.evaluate())
        assert (await watch.look()).inside is None
        await loop.up()
        await loop.in_line()
        docker_client().api.stop(f'{stack}-app-1', timeout=1)

        action = await loop.pending('stopped', 'app')
        for _ in range(3):  # evaluations outside the window leave it waiting
            await loop.supervisor.evaluate()
        assert (await Action.get(id=action.id)).state == 'pending'
        assert [waiting.id for waiting in await policy.waiting()] == [action.id]
        assert not docker_client().api.inspect_container(f'{stack}-app-1')['State']['Running']

        clock['now'] = datetime(2026, 12, 6, 3, 0, tzinfo=BERLIN)
        assert (await watch.look()).inside is not None  # the opening evaluates: the policy approves what waited

        async def done() -> Action | None:
            return await Action.filter(id=action.id, state='done').first()

        finished = await wait_for_async(done, timeout=60, what='the waiting start to run in the window')
        assert finished.decided_by == POLICY_ACTOR and finished.auto
        assert docker_client().api.inspect_container(f'{stack}-app-1')['State']['Running']
        approved = await AuditEvent.get(kind=AuditKind.ACTION_APPROVED, actor=POLICY_ACTOR)
        assert approved.detail['action_id'] == action.id and approved.detail['window']['window'] == 'Sun 03:00-05:00'
