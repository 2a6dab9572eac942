"""The alert watchers of runs, actions, the engine, the audit chain and message delivery, on a real store: each
turns what the console knows (run rows written as the CLI writes them, action rows and their updates, engine
states, the audit table, a real sender with a real loopback receiver) into alerts opened and resolved."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from ops.alerts.action_watch import ActionWatch
from ops.alerts.audit_watch import AuditChainWatch
from ops.alerts.delivery_watch import DeliveryWatch
from ops.alerts.engine_watch import EngineWatch
from ops.alerts.keeper import AlertKeeper
from ops.alerts.messages import Messenger
from ops.alerts.records import Alert, AlertState
from ops.alerts.rules import Rule, RuleBook
from ops.alerts.run_watch import RunWatch
from ops.clock import utc_now
from ops.config import AlertsConfig, ChannelConfig, NotifyConfig
from ops.notify.outbox import MessageState, OutboxMessage
from ops.notify.sender import Sender, Settled
from ops.runs import RunState
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind
from ops.store.chain_check import ChainWatch
from ops.store.models import Action, AuditEvent, Run
from ops.world.action_states import ActionState
from ops.world.actions import ActionUpdate
from ops.world.observer import EngineState
from tests.helpers.console import free_port
from tests.helpers.login_page import Clock
from tests.helpers.notify_peers import HttpReceiver
from tests.helpers.waiting import wait_for_async


def keeper(alerts: AlertsConfig | None = None) -> AlertKeeper:
    return AlertKeeper(RuleBook(alerts or AlertsConfig(group_window='0s'), []), audit=AuditLog())


async def alerts_of(rule: Rule) -> list[tuple[str, AlertState]]:
    return [(a.target, a.state) for a in await Alert.filter(rule=rule).order_by('id')]


async def ended_run(
    operation: str, params: dict[str, Any], state: RunState, error: str | None = None, origin: str = 'cli'
) -> Run:
    """A run row as the manager of any process (the CLI's too) leaves it."""
    now = utc_now()
    return await Run.create(
        operation=operation, params=params, actor='cli:root', origin=origin, state=state, started_at=now,
        finished_at=now, error=error,
    )  # fmt: skip


OPEN, RESOLVED = AlertState.OPEN, AlertState.RESOLVED
WEB = {'container': 'homelab-dev-web-1'}


# ---- run_failed -----------------------------------------------------------------------------------


async def test_a_failed_run_raises_an_alert_about_its_operation_and_target_until_it_succeeds(store: None) -> None:
    alerts = keeper()
    watch = RunWatch(alerts)
    await watch.look()
    failed = await ended_run('docker_restart', WEB, RunState.FAILED, 'the engine said no\nsecond line')
    await ended_run('docker_restart', {'container': 'other'}, RunState.REJECTED, 'refused: busy')
    await ended_run('docker_restart', {'container': 'third'}, RunState.CANCELLED)
    await watch.look()
    assert await alerts_of(Rule.RUN_FAILED) == [('docker_restart homelab-dev-web-1', OPEN)]
    alert = alerts.open_alerts()[0]
    assert alert.summary == 'docker_restart homelab-dev-web-1 failed: the engine said no second line'
    assert alert.evidence == {
        'run_id': failed.id, 'state': 'failed', 'error': 'the engine said no second line', 'actor': 'cli:root',
    }  # fmt: skip

    timed_out = await ended_run('docker_up_all', {'stack': None}, RunState.TIMED_OUT, 'took too long')
    await ended_run('docker_restart', {'container': 'elsewhere'}, RunState.SUCCEEDED)
    await watch.look()
    assert [a.target for a in alerts.open_alerts()] == ['docker_up_all', 'docker_restart homelab-dev-web-1']
    assert alerts.open_alerts()[0].evidence['run_id'] == timed_out.id

    success = await ended_run('docker_restart', WEB, RunState.SUCCEEDED)
    await watch.look()
    stored = await Alert.get(id=alert.id)
    assert stored.state is RESOLVED and stored.resolution == f'run #{success.id} of docker_restart succeeded (cli:root)'


async def test_a_run_started_elsewhere_is_followed_until_it_ends(store: None) -> None:
    alerts = keeper()
    watch = RunWatch(alerts, every=0.1)
    task = asyncio.create_task(watch.run())
    try:
        run = await Run.create(
            operation='stack_service_up', params={'stack': 'media', 'service': 'jellyfin', 'pull': False},
            actor='cli:root', origin='cli', state=RunState.RUNNING,
        )  # fmt: skip
        await wait_for_async(lambda: run.id in watch._unfinished, timeout=10, what='the running run seen')
        assert alerts.open_alerts() == []
        run.state, run.finished_at, run.error = RunState.FAILED, utc_now(), 'compose up failed'
        await run.save()
        await wait_for_async(lambda: alerts.open_alerts(), timeout=10, what='the failure alerted')
        assert alerts.open_alerts()[0].target == 'stack_service_up media/jellyfin'
    finally:
        watch.stop()
        await asyncio.wait_for(task, 2)  # stops at once


async def test_at_start_a_failure_already_followed_by_a_success_raises_nothing_nor_does_an_actions_run(
    store: None,
) -> None:
    await ended_run('docker_restart', WEB, RunState.FAILED, 'no')
    await ended_run('docker_restart', WEB, RunState.SUCCEEDED)
    await ended_run('docker_start', WEB, RunState.FAILED, 'still no')
    await ended_run('stack_service_up', {'stack': 'media', 'service': 'x'}, RunState.FAILED, 'no', origin='action')
    old = await ended_run('docker_stop', WEB, RunState.FAILED, 'long ago')
    old.created_at = utc_now() - timedelta(days=3)
    await old.save()
    alerts = keeper()
    watch = RunWatch(alerts)
    await watch.look()
    assert await alerts_of(Rule.RUN_FAILED) == [('docker_start homelab-dev-web-1', OPEN)]
    await watch.look()  # nothing new: nothing changes
    assert await Alert.all().count() == 1


async def test_a_run_begun_long_before_the_start_is_followed_to_its_end(store: None) -> None:
    long = await Run.create(
        operation='docker_pull_all', params={}, actor='cli:root', origin='cli', state=RunState.RUNNING
    )
    await Run.filter(id=long.id).update(created_at=utc_now() - timedelta(days=2))
    alerts = keeper()
    watch = RunWatch(alerts)
    await watch.look()
    await Run.filter(id=long.id).update(state=RunState.TIMED_OUT, finished_at=utc_now(), error='took 2 days')
    await watch.look()
    assert [(a.target, a.summary) for a in alerts.open_alerts()] == [
        ('docker_pull_all', 'docker_pull_all timed out: took 2 days')
    ]


# ---- action_failed and drift_pending --------------------------------------------------------------


async def action(state: ActionState, *, service: str = 'jellyfin', **more: Any) -> Action:
    return await Action.create(
        stack='media', service=service, kind='image', drift_key=f'media:image:{service}:abc', title=f'Update {service}',
        operation='stack_service_up', params={'stack': 'media', 'service': service}, state=state, **more,
    )  # fmt: skip


def update(row: Action) -> ActionUpdate:
    return ActionUpdate(
        action_id=row.id, state=row.state, stack=row.stack, kind=row.kind, subject=row.service or row.stack,
        actor='ui:admin', run_id=row.run_id, error=row.error,
    )  # fmt: skip


async def test_a_failed_action_alerts_until_a_later_action_on_its_subject_is_done(store: None) -> None:
    alerts = keeper()
    watch = ActionWatch(alerts, every=60)
    task = asyncio.create_task(watch.run())
    try:
        failed = await action(ActionState.FAILED, run_id=7, error='pull failed', decided_by='ui:admin')
        watch.action_changed(update(failed))
        await wait_for_async(lambda: alerts.is_open(Rule.ACTION_FAILED, 'media/jellyfin'), timeout=10, what='alert')
        alert = alerts.open_alerts()[0]
        assert alert.summary == 'Update jellyfin failed: pull failed'
        assert alert.evidence['action_id'] == failed.id and alert.evidence['run_id'] == 7
        retry = await action(ActionState.PENDING)  # proposed again: the failure still stands
        await action(ActionState.DONE, service='sonarr')  # another subject
        watch.action_changed(update(retry))
        await watch.look()
        assert alerts.is_open(Rule.ACTION_FAILED, 'media/jellyfin')
        await Action.filter(id=retry.id).update(state=ActionState.DONE, decided_by='ui:bob')
        watch.action_changed(update(retry))
        await wait_for_async(
            lambda: not alerts.is_open(Rule.ACTION_FAILED, 'media/jellyfin'), timeout=10, what='resolution'
        )
        assert (await Alert.get(id=alert.id)).resolution == f'action #{retry.id} is done'
    finally:
        watch.stop()
        await asyncio.wait_for(task, 2)


async def test_a_failed_action_resolves_when_its_retry_is_superseded(store: None) -> None:
    alerts = keeper()
    watch = ActionWatch(alerts)
    await action(ActionState.FAILED, error='boom')
    retry = await action(ActionState.PENDING)
    await watch.look()
    assert [a.target for a in alerts.open_alerts()] == ['media/jellyfin']
    await Action.filter(id=retry.id).update(state=ActionState.SUPERSEDED)  # the drift went away
    await watch.look()
    assert await alerts_of(Rule.ACTION_FAILED) == [('media/jellyfin', RESOLVED)]


async def test_a_proposal_alerts_once_it_waited_the_hold_time_counted_from_its_creation(store: None) -> None:
    alerts = keeper()  # drift_pending: after 1 h
    watch = ActionWatch(alerts)
    young = await action(ActionState.PENDING, service='sonarr')
    old = await action(ActionState.PENDING)
    await Action.filter(id=old.id).update(created_at=utc_now() - timedelta(hours=2))  # before a restart
    await watch.look()
    assert await alerts_of(Rule.DRIFT_PENDING) == [('media/jellyfin', OPEN)]
    assert alerts.open_alerts()[0].evidence == {'action_ids': [old.id], 'kinds': ['image']}
    await watch.look()
    assert await Alert.all().count() == 1 and alerts.open_alerts()[0].updates == 0  # the same, not repeated
    await Action.filter(id=old.id).update(state=ActionState.REJECTED, decided_by='ui:alice')
    await Action.filter(id=young.id).update(created_at=utc_now() - timedelta(hours=3))
    await watch.look()
    assert await alerts_of(Rule.DRIFT_PENDING) == [('media/jellyfin', RESOLVED), ('media/sonarr', OPEN)]
    resolved = await Alert.get(target='media/jellyfin')
    assert resolved.resolution == f'action #{old.id} was rejected by ui:alice'
    await Action.filter(id=young.id).update(state=ActionState.APPROVED, decided_by='ui:bob')
    await watch.look()
    assert (await Alert.get(target='media/sonarr')).resolution == f'action #{young.id} was approved by ui:bob'


# ---- engine_unreachable ---------------------------------------------------------------------------


async def test_an_unreachable_engine_alerts_after_the_hold_time_and_resolves_when_it_answers(
    store: None, clock: Clock
) -> None:
    fake = clock
    alerts = keeper()
    watch = EngineWatch(alerts)
    await watch.handle(EngineState(reachable=False, error='connection refused'))
    fake.now += 29
    await alerts.tick()
    assert alerts.open_alerts() == []
    await watch.handle(EngineState(reachable=True, version='27.0'))  # back within 30 s: nothing
    await watch.handle(EngineState(reachable=False, error='connection refused'))
    fake.now += 31
    await alerts.tick()
    assert [(a.rule, a.severity.value) for a in alerts.open_alerts()] == [(Rule.ENGINE_UNREACHABLE, 'critical')]
    await watch.handle(EngineState(reachable=None))  # not known: changes nothing
    assert alerts.open_alerts()
    await watch.handle(EngineState(reachable=True, version='27.0'))
    assert await alerts_of(Rule.ENGINE_UNREACHABLE) == [('engine', RESOLVED)]


# ---- audit_chain ----------------------------------------------------------------------------------


async def test_an_edited_audit_event_raises_a_critical_alert_and_an_intact_chain_resolves_it(store: None) -> None:
    audit = AuditLog()
    for n in range(3):
        await audit.append(AuditKind.REQUESTED, actor='cli:root', origin='cli', operation='docker_status', run_id=n)
    alerts = keeper()
    watch = AuditChainWatch(ChainWatch(None), alerts, full_every=0)  # a full walk at every look
    await watch.look()
    assert alerts.open_alerts() == []
    second = await AuditEvent.filter(run_id=1).first()
    assert second is not None
    await AuditEvent.filter(id=second.id).update(actor='cli:mallory')
    await audit.append(AuditKind.REQUESTED, actor='cli:root', origin='cli', operation='docker_status', run_id=3)
    await watch.look()
    alert = alerts.open_alerts()
    assert alert[0].severity.value == 'critical' and f'event #{second.id} was edited' in alert[0].summary
    await AuditEvent.filter(id=second.id).update(actor='cli:root')
    await watch.look()
    assert await alerts_of(Rule.AUDIT_CHAIN) == [('audit trail', RESOLVED)]


# ---- delivery_failed ------------------------------------------------------------------------------


async def test_a_given_up_message_alerts_about_its_channel_on_the_other_channels_only(
    store: None, http: HttpReceiver
) -> None:
    dead = HttpReceiver(port=free_port())  # nothing listens there yet
    notify = NotifyConfig(
        channels={
            'hook': ChannelConfig(url=f'json://127.0.0.1:{http.port}/hook'),  # type: ignore[arg-type]
            'pager': ChannelConfig(url=f'json://127.0.0.1:{dead.port}/pager'),  # type: ignore[arg-type]
        },
        max_attempts=1,
        timeout=5,
    )
    rules = RuleBook(AlertsConfig(group_window='0s'), ['hook', 'pager'])
    sender = Sender(notify)
    alerts = AlertKeeper(rules, audit=AuditLog())
    messenger = Messenger(rules, sender)
    alerts.changed.subscribe(messenger.heard)
    watch = DeliveryWatch(alerts, ['hook', 'pager'])
    sender.settled.subscribe(watch.heard)
    task = asyncio.create_task(watch.run())
    try:
        await sender.enqueue('pager', 'backup-1', title='Backup done', body='ok')
        await sender.send_due()
        await wait_for_async(lambda: alerts.is_open(Rule.DELIVERY_FAILED, 'pager'), timeout=10, what='the alert')
        alert = alerts.open_alerts()[0]
        assert 'pager' in alert.summary and str(dead.port) not in alert.summary  # the channel, never its URL
        await messenger.flush(due_only=False)
        await sender.send_due()
        assert [p.json()['title'] for p in http.wait_for_posts(1)] == ['Notification failed: pager']
        assert await OutboxMessage.filter(channel='pager', dedup_key__startswith='alert-').count() == 0

        dead.start()  # the pager answers again: the next message there resolves the alert
        try:
            await sender.enqueue('pager', 'backup-2', title='Backup done', body='ok')
            await sender.send_due()
            await wait_for_async(lambda: not alerts.open_alerts(), timeout=10, what='the resolution')
            assert (await OutboxMessage.get(dedup_key='backup-2')).state is MessageState.SENT
            await messenger.flush(due_only=False)
            await sender.send_due()
            assert http.wait_for_posts(2)[1].json()['title'] == 'Resolved: Notification failed: pager'
            assert [p.path for p in dead.posts] == ['/pager']  # the backup message only, no alert about itself
        finally:
            dead.stop()
    finally:
        watch.stop()
        await asyncio.wait_for(task, 2)


async def test_a_channel_no_longer_configured_raises_nothing_and_its_old_alert_resolves_at_start(store: None) -> None:
    alerts = keeper()
    old = DeliveryWatch(alerts, ['hook', 'pager'])
    await old.handle(Settled(1, 'pager', 'k1', MessageState.FAILED, 'refused'))
    await old.handle(Settled(2, 'gone', 'k2', MessageState.FAILED, 'no channel named gone in the config'))
    assert [a.target for a in alerts.open_alerts()] == ['pager']
    await DeliveryWatch(alerts, ['hook']).look()  # started again without the pager
    assert await alerts_of(Rule.DELIVERY_FAILED) == [('pager', RESOLVED)]
