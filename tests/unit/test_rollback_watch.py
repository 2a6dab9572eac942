"""The rollback watch: a service recreated lately whose new container turns unhealthy or crash-loops is proposed a
rollback to what the recreate replaced, once per known-good state; anything else is left alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.system import adapters_for
from ops.clock import utc_now
from ops.config import HomelabConfig, StackConfig
from ops.docker.containers import ContainerInfo
from ops.docker.engine import Engine
from ops.maintenance.records import KnownGood, RollbackPin
from ops.maintenance.rollback_watch import RollbackWatch
from ops.store.models import Action
from ops.world.action_states import ActionState
from ops.world.actions import Proposal
from ops.world.observer import ContainerChange, Observer
from tests.helpers.waiting import wait_for_async

V1 = 'localhost:5000/homelab-dev/app@sha256:' + '1' * 64
NEW_ID = 'n' * 64


@dataclass
class Proposals:
    """Stands in for the action queue: keeps each proposal and stores it as a pending action, as the queue does."""

    made: list[tuple[Proposal, str]] = field(default_factory=list)

    async def propose(
        self, proposal: Proposal, *, actor: str, origin: str, audit_detail: dict[str, Any] | None = None
    ) -> object:
        self.made.append((proposal, actor))
        return await Action.create(
            stack=proposal.stack,
            service=proposal.service,
            container=proposal.container,
            kind=proposal.kind,
            drift_key=proposal.key,
            title=proposal.title,
            detail=proposal.detail,
            operation=proposal.operation,
            params=proposal.params,
            plan=proposal.plan,
            state=ActionState.PENDING,
        )


@dataclass
class Rig:
    observer: Observer
    proposals: Proposals
    watch: RollbackWatch

    def unhealthy(self, *, stack: str = 'media', container_id: str = NEW_ID) -> None:
        info = ContainerInfo(
            id=container_id,
            name=f'{stack}-app-1',
            stack=stack,
            service='app',
            state='running',
            health='unhealthy',
            image='localhost:5000/homelab-dev/app:stable',
            status='Up 5 seconds (unhealthy)',
            created=0,
        )
        self.observer.container_changed.emit(ContainerChange(container_id=container_id, info=info))

    def died(self, times: int, *, container_id: str = NEW_ID) -> None:
        now = utc_now().timestamp()
        for number in range(times):
            self.observer.learned.emit(
                {
                    'source': 'engine',
                    'action': 'die',
                    'id': container_id,
                    'name': 'media-app-1',
                    'stack': 'media',
                    'service': 'app',
                    'exit_code': 1,
                    'time_nano': int((now + number) * 1e9),
                }
            )

    async def settled(self) -> None:
        """Every trouble heard so far has been considered."""
        await wait_for_async(lambda: self.watch.idle, timeout=10, what='the watch to catch up')


@pytest.fixture
async def rig(store: None, tmp_path: Path) -> AsyncIterator[Rig]:
    engine = Engine('unix:///nonexistent.sock')  # nothing to inspect: the plan goes without a settings diff
    config = HomelabConfig(stacks={'media': StackConfig(files=['compose.yml'])})
    adapters = adapters_for(engine, config, data_dir=tmp_path, repo_dir=tmp_path, env='prod')
    observer = Observer(engine)
    proposals = Proposals()
    watch = RollbackWatch(observer, proposals, adapters, within=600)
    task = asyncio.create_task(watch.run())
    try:
        yield Rig(observer, proposals, watch)
    finally:
        watch.stop()
        await task


async def _replaced(*, healthy: bool = True, ago: float = 5, digest: str = V1) -> KnownGood:
    state = await KnownGood.create(
        stack='media',
        service='app',
        container_name='media-app-1',
        image='localhost:5000/homelab-dev/app:stable',
        digest=digest,
        image_id='sha256:' + 'a' * 64,
        config_hash='f' * 64,
        settings={'environment': {'LEVEL': '1'}},
        healthy=healthy,
        run_id=3,
    )
    await KnownGood.filter(id=state.id).update(recorded_at=utc_now() - timedelta(seconds=ago))
    return await KnownGood.get(id=state.id)


async def test_an_unhealthy_container_soon_after_its_recreate_is_proposed_a_rollback_once(rig: Rig) -> None:
    state = await _replaced()
    await RollbackPin.create(
        stack='media', service='db', image='postgres:16', digest='postgres@sha256:' + '2' * 64, pinned_by='ui:admin'
    )
    rig.unhealthy()
    await wait_for_async(lambda: rig.proposals.made, timeout=10, what='a rollback proposal')
    proposal, actor = rig.proposals.made[0]
    assert actor == 'supervisor'
    assert proposal.kind == 'rollback' and proposal.operation == 'stack_rollback'
    assert proposal.title == 'Roll back app to localhost:5000/homelab-dev/app@sha256:111111111111'
    assert proposal.params == {'stack': 'media', 'service': 'app', 'known_good': state.id}
    assert 'media-app-1 turned unhealthy' in proposal.detail and 'run #3' in proposal.detail
    override = proposal.plan['override']
    assert f'image: "{V1}"' in override and 'postgres@sha256:' in override  # the stack's other pin stays
    assert any('compose up -d app' in step for step in proposal.plan['steps'])

    rig.unhealthy()  # still unhealthy (or again): the open proposal is the one
    rig.died(3)
    await rig.settled()
    assert len(rig.proposals.made) == 1


async def test_a_crash_loop_soon_after_the_recreate_is_proposed_a_rollback(rig: Rig) -> None:
    await _replaced()
    rig.died(2)
    await rig.settled()
    assert rig.proposals.made == []  # two deaths are not a loop yet
    rig.died(1)
    await wait_for_async(lambda: rig.proposals.made, timeout=10, what='a rollback proposal')
    assert 'died 3 times (crash loop, last exit code 1)' in rig.proposals.made[0][0].detail


async def test_no_rollback_is_proposed_outside_the_window_nor_to_a_state_that_was_failing(rig: Rig) -> None:
    await _replaced(ago=3600)  # recreated an hour ago: a failure now is not the recreate's
    rig.unhealthy()
    await rig.settled()
    await _replaced(healthy=False)  # the recreate replaced a failing container: nothing known good to go back to
    rig.unhealthy()
    await rig.settled()
    rig.unhealthy(stack='elsewhere')  # not a configured stack
    await rig.settled()
    assert rig.proposals.made == []


async def test_a_rejected_rollback_is_not_proposed_again_for_the_same_state(rig: Rig) -> None:
    await _replaced()
    rig.unhealthy()
    await wait_for_async(lambda: rig.proposals.made, timeout=10, what='a rollback proposal')
    await Action.all().update(state=ActionState.REJECTED)
    rig.unhealthy()
    await rig.settled()
    assert len(rig.proposals.made) == 1
