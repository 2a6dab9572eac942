"""Auto-approve inside maintenance windows, on the real action queue and manager over a fresh store: outside a
window a covered drift's action waits (pending, listed as waiting); once the clock is inside one the policy approves
it (audited with the window); a person's decision stands; without windows the policy acts at once, as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.system import adapters_for
from ops.alerts.action_watch import ActionWatch
from ops.alerts.keeper import AlertKeeper
from ops.alerts.rules import Rule, RuleBook
from ops.catalog import catalog
from ops.clock import utc_now
from ops.config import AlertsConfig, HomelabConfig, StackConfig
from ops.docker.engine import Engine
from ops.maintenance.policy import AutoApproval
from ops.maintenance.window_watch import WindowWatch
from ops.maintenance.windows import MaintenanceWindows
from ops.manager import Manager
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind
from ops.store.chain_head import HeadAnchor
from ops.store.db import close_store, open_store
from ops.store.models import Action, AuditEvent
from ops.store.owners import OwnerLock
from ops.world.action_states import ActionState
from ops.world.actions import POLICY_ACTOR, ActionQueue, Proposal
from ops.world.drift import Drift

BERLIN = ZoneInfo('Europe/Berlin')
STACKS = {'media': StackConfig(files=['compose.yml'], auto_approve=['stopped'])}


class Clock:
    """The windows' clock, moved by the test; it starts on a Sunday at 02:00, an hour before the window."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 2, 0, tzinfo=BERLIN)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def manager(tmp_path: Path) -> AsyncIterator[Manager]:
    adapters = adapters_for(
        Engine(f'unix://{tmp_path}/no-engine.sock', timeout=2),
        HomelabConfig(stacks=STACKS),
        data_dir=tmp_path / 'data',
        repo_dir=tmp_path,
    )
    await open_store(tmp_path / 'data' / 'homelab.sqlite3')
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    mgr = Manager(adapters, owner=owner, registry=catalog(), audit=AuditLog(HeadAnchor(tmp_path / 'data')))
    try:
        yield mgr
    finally:
        await mgr.shutdown()
        owner.release()
        await close_store()


def stopped(service: str = 'jellyfin') -> Drift:
    return Drift(
        stack='media', kind='stopped', service=service, container=f'media-{service}-1', detail='exited (0)',
        fingerprint=f'{service}-exited',
    )  # fmt: skip


def queue_for(manager: Manager, windows: MaintenanceWindows) -> tuple[ActionQueue, AutoApproval]:
    policy = AutoApproval(STACKS, windows)
    return ActionQueue(manager, auto_approve=policy, windows=windows), policy


async def approvals() -> list[AuditEvent]:
    return await AuditEvent.filter(kind=AuditKind.ACTION_APPROVED).order_by('id')


async def test_outside_a_window_the_policy_waits_and_inside_it_approves(manager: Manager, clock: Clock) -> None:
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=clock)
    queue, policy = queue_for(manager, windows)

    [action] = await queue.sync([stopped()], stacks=['media'])
    await queue.sync([stopped()], stacks=['media'])  # the drift holds: still waiting, not proposed twice
    assert (await Action.get(id=action.id)).state is ActionState.PENDING
    assert [waiting.id for waiting in await policy.waiting()] == [action.id]
    assert await approvals() == []

    clock.now = datetime(2026, 12, 6, 3, 0, tzinfo=BERLIN)  # the window opens
    watch = WindowWatch(windows, opened=lambda opening: queue.sync([stopped()], stacks=['media']))
    state = await watch.look()
    assert state.inside is not None and state.inside.window == 'Sun 03:00-05:00'

    decided = await Action.get(id=action.id)
    assert decided.state is not ActionState.PENDING and decided.auto and decided.decided_by == POLICY_ACTOR
    assert decided.run_id is not None  # handed to the manager: it ran (and failed here: there is no engine)
    [approved] = await approvals()
    assert approved.actor == POLICY_ACTOR and approved.origin == 'policy'
    assert approved.detail['action_id'] == action.id
    assert approved.detail['window']['window'] == 'Sun 03:00-05:00'
    assert approved.detail['window']['closes_at'] == '2026-12-06T05:00:00+01:00'
    assert 'waited_since' in approved.detail
    assert await policy.waiting() == []


async def test_a_waiting_action_whose_drift_went_away_is_not_approved(manager: Manager, clock: Clock) -> None:
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=clock)
    queue, _ = queue_for(manager, windows)
    [action] = await queue.sync([stopped()], stacks=['media'])

    await queue.sync([], stacks=['media'])  # someone started it by hand
    clock.now = datetime(2026, 12, 6, 3, 30, tzinfo=BERLIN)
    await queue.sync([], stacks=['media'])
    assert (await Action.get(id=action.id)).state is ActionState.SUPERSEDED
    assert await approvals() == []


async def test_a_persons_decision_before_the_window_stands(manager: Manager, clock: Clock) -> None:
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=clock)
    queue, policy = queue_for(manager, windows)
    [action] = await queue.sync([stopped()], stacks=['media'])
    await queue.reject(action.id, actor='alice', origin='ui', reason='not tonight')
    assert await policy.waiting() == []

    clock.now = datetime(2026, 12, 6, 3, 30, tzinfo=BERLIN)
    assert await queue.sync([stopped()], stacks=['media']) == []
    rejected = await Action.get(id=action.id)
    assert rejected.state is ActionState.REJECTED and rejected.decided_by == 'alice'
    assert await approvals() == []


async def test_inside_a_window_a_new_drift_is_approved_at_once(manager: Manager, clock: Clock) -> None:
    clock.now = datetime(2026, 12, 6, 4, 0, tzinfo=BERLIN)
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=clock)
    queue, _ = queue_for(manager, windows)
    [action] = await queue.sync([stopped()], stacks=['media'])
    assert (await Action.get(id=action.id)).decided_by == POLICY_ACTOR
    [approved] = await approvals()
    assert approved.detail['window']['window'] == 'Sun 03:00-05:00' and 'waited_since' not in approved.detail


async def test_without_windows_the_policy_approves_at_once_as_before(manager: Manager, clock: Clock) -> None:
    windows = MaintenanceWindows([], zone=BERLIN, clock=clock)
    queue, policy = queue_for(manager, windows)
    [action] = await queue.sync([stopped()], stacks=['media'])
    assert (await Action.get(id=action.id)).decided_by == POLICY_ACTOR
    [approved] = await approvals()
    assert 'window' not in approved.detail
    assert await policy.waiting() == []


async def test_one_waiting_action_per_stack_is_released_at_a_time(manager: Manager, clock: Clock) -> None:
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=clock)
    queue, policy = queue_for(manager, windows)
    drifts = [stopped('jellyfin'), stopped('sonarr')]
    await queue.sync(drifts, stacks=['media'])
    assert len(await policy.waiting()) == 2

    clock.now = datetime(2026, 12, 6, 3, 0, tzinfo=BERLIN)
    await queue.sync(drifts, stacks=['media'])
    assert len(await approvals()) == 1


async def test_an_action_waiting_for_the_window_does_not_alert_as_waiting_for_an_operator(
    manager: Manager, clock: Clock
) -> None:
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=clock)
    queue, policy = queue_for(manager, windows)
    [waits] = await queue.sync([stopped('jellyfin')], stacks=['media'])
    person = await queue.propose(
        Proposal(
            stack='media', service='sonarr', container='media-sonarr-1', kind='config', key='media:config:sonarr:1',
            title='Recreate sonarr', detail='', operation='stack_service_up',
            params={'stack': 'media', 'service': 'sonarr'}, plan={},
        ),
        actor='supervisor', origin='supervisor',
    )  # fmt: skip
    await Action.filter(id__in=[waits.id, person.id]).update(created_at=utc_now() - timedelta(hours=3))
    alerts = AlertKeeper(RuleBook(AlertsConfig(), []))
    await ActionWatch(alerts, for_window=policy.waiting).look()
    assert [alert.target for alert in alerts.open_alerts() if alert.rule is Rule.DRIFT_PENDING] == ['media/sonarr']


async def test_a_new_drift_and_a_waiting_one_of_a_stack_are_not_approved_in_the_same_pass(
    manager: Manager, clock: Clock
) -> None:
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=clock)
    queue, policy = queue_for(manager, windows)
    [waits] = await queue.sync([stopped('jellyfin')], stacks=['media'])

    clock.now = datetime(2026, 12, 6, 3, 0, tzinfo=BERLIN)  # the window opens as sonarr stops too
    await queue.sync([stopped('sonarr'), stopped('jellyfin')], stacks=['media'])
    [approved] = await approvals()  # one action per stack at a time: the other waits for the next pass
    assert approved.detail['action_id'] != waits.id and 'waited_since' not in approved.detail
    assert (await Action.get(id=waits.id)).state is ActionState.PENDING
    assert [action.id for action in await policy.waiting()] == [waits.id]


async def test_a_waiting_action_is_approved_at_the_next_sync_once_the_windows_are_removed(
    manager: Manager, clock: Clock
) -> None:
    windows = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=clock)
    queue, _ = queue_for(manager, windows)
    [action] = await queue.sync([stopped()], stacks=['media'])
    assert await approvals() == []

    # The owner removes the windows (the console restarts with the new config): the policy acts at once again.
    queue, policy = queue_for(manager, MaintenanceWindows([], zone=BERLIN, clock=clock))
    assert await queue.sync([stopped()], stacks=['media']) == []
    decided = await Action.get(id=action.id)
    assert decided.state is not ActionState.PENDING and decided.auto and decided.decided_by == POLICY_ACTOR
    [approved] = await approvals()
    assert approved.actor == POLICY_ACTOR and approved.detail['action_id'] == action.id
    assert 'window' not in approved.detail and 'waited_since' in approved.detail
    assert await policy.waiting() == []
