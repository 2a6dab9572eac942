"""The alert keeper and its messages, with a real store and a real HTTP receiver on loopback: an alert opens once,
is updated rather than repeated, resolves with a message; a burst is one message; a hold time holds; a snooze
and a restart lose nothing and repeat nothing; a stop inside a run's window that targets the container is planned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ops.alerts.keeper import AlertKeeper, AlertProblem, Condition
from ops.alerts.messages import Messenger
from ops.alerts.planned import PlannedWork, Subject
from ops.alerts.records import Alert, AlertMessage, AlertState
from ops.alerts.rules import Rule, RuleBook
from ops.clock import utc_now
from ops.config import AlertsConfig, ChannelConfig, NotifyConfig, RuleConfig
from ops.notify.sender import Sender
from ops.runs import RunState
from ops.store.audit import AuditLog
from ops.store.models import AuditEvent, Run
from tests.helpers.login_page import Clock
from tests.helpers.notify_peers import HttpReceiver


class Rig:
    def __init__(self, http: HttpReceiver, alerts: AlertsConfig | None = None) -> None:
        notify = NotifyConfig(
            channels={'hook': ChannelConfig(url=f'json://127.0.0.1:{http.port}/hook')},  # type: ignore[arg-type]
            first_retry=0.2,
            max_retry=0.5,
        )
        self.rules = RuleBook(alerts or AlertsConfig(group_window='0s'), ['hook'])
        self.sender = Sender(notify)
        self.keeper = AlertKeeper(self.rules, audit=AuditLog())
        self.messenger = Messenger(self.rules, self.sender)
        self.keeper.changed.subscribe(self.messenger.heard)

    async def deliver(self) -> None:
        """Queue what gathered and send it now."""
        await self.messenger.flush(due_only=False)
        await self.sender.send_due()


def stopped(name: str, stack: str = 'media', code: int = 137) -> Condition:
    return Condition(
        rule=Rule.CONTAINER_EXITED,
        target=name,
        summary=f'{name} stopped unexpectedly, exit code {code}',
        evidence={'exit_code': code},
        group=stack,
    )


async def test_an_alert_opens_once_updates_quietly_and_resolves_with_a_message(store: None, http: HttpReceiver) -> None:
    rig = Rig(http)
    await rig.keeper.hold(stopped('jellyfin'))
    await rig.keeper.hold(stopped('jellyfin'))
    await rig.keeper.hold(stopped('jellyfin', code=1))  # new evidence: the same alert, updated
    await rig.deliver()
    opened = http.wait_for_posts(1)[0].json()
    assert opened['title'] == 'Unplanned stop: jellyfin'
    assert 'exit code 1' in opened['message'] and opened['type'] == 'warning'  # as it stands when sent
    alerts = await Alert.all()
    assert len(alerts) == 1 and alerts[0].updates == 1 and alerts[0].evidence == {'exit_code': 1}

    await rig.keeper.clear(Rule.CONTAINER_EXITED, 'jellyfin', resolution='jellyfin has been running again for 30 s')
    await rig.deliver()
    resolved = http.wait_for_posts(2)[1].json()
    assert resolved['title'] == 'Resolved: Unplanned stop: jellyfin'
    assert 'running again' in resolved['message'] and resolved['type'] == 'info'
    assert len(http.posts) == 2
    stored = await Alert.get(id=alerts[0].id)
    assert stored.state is AlertState.RESOLVED and stored.open_key is None and stored.told_resolved
    assert await AlertMessage.filter(alert_id=stored.id).count() == 2


async def test_ten_stops_of_one_stack_in_a_burst_are_one_message(store: None, http: HttpReceiver) -> None:
    rig = Rig(http, AlertsConfig(group_window='5s'))
    for index in range(10):
        await rig.keeper.hold(stopped(f'media-app{index}-1'))
    await rig.keeper.hold(stopped('pihole', stack='dns'))
    await rig.messenger.flush(due_only=True)  # the window has not passed: nothing yet
    await rig.sender.send_due()
    assert http.posts == []
    await rig.deliver()
    posts = http.wait_for_posts(2)
    titles = sorted(post.json()['title'] for post in posts)
    assert titles == ['Unplanned stop: 10 in media', 'Unplanned stop: pihole']
    grouped = next(p.json() for p in posts if 'media' in p.json()['title'])
    assert all(f'media-app{index}-1' in grouped['message'] for index in range(10))
    assert len(http.posts) == 2


async def test_a_rule_with_a_hold_time_opens_only_when_the_condition_held_that_long(
    store: None, http: HttpReceiver, clock: Clock
) -> None:
    rig = Rig(http, AlertsConfig(group_window='0s', rules={'engine_unreachable': RuleConfig(after='30s')}))
    down = Condition(rule=Rule.ENGINE_UNREACHABLE, target='engine', summary='the engine does not answer')
    await rig.keeper.hold(down)
    clock.now += 29
    await rig.keeper.tick()
    assert await Alert.all().count() == 0
    await rig.keeper.clear(Rule.ENGINE_UNREACHABLE, 'engine')  # back within the hold time: never an alert
    await rig.keeper.hold(down)
    clock.now += 31
    await rig.keeper.tick()
    assert [a.rule for a in await Alert.all()] == [Rule.ENGINE_UNREACHABLE]
    await rig.deliver()
    assert http.wait_for_posts(1)[0].json()['type'] == 'failure'  # critical by default


async def test_a_switched_off_rule_raises_nothing(store: None, http: HttpReceiver) -> None:
    rig = Rig(http, AlertsConfig(group_window='0s', rules={'container_exited': RuleConfig(enabled=False)}))
    await rig.keeper.hold(stopped('jellyfin'))
    assert await Alert.all().count() == 0


async def test_sync_resolves_the_subjects_no_longer_reported(store: None, http: HttpReceiver) -> None:
    rig = Rig(http)
    full = [Condition(rule=Rule.DISK_FULL, target=mount, summary=f'{mount} is 95% full') for mount in ('/', '/srv')]
    await rig.keeper.sync(Rule.DISK_FULL, full)
    await rig.keeper.sync(Rule.DISK_FULL, full[1:])
    assert sorted((a.target, a.state.value) for a in await Alert.all()) == [('/', 'resolved'), ('/srv', 'open')]


async def test_acknowledge_and_snooze_are_audited_and_a_snooze_outlives_a_reopening(
    store: None, http: HttpReceiver
) -> None:
    rig = Rig(http)
    await rig.keeper.hold(stopped('jellyfin'))
    alert = rig.keeper.open_alerts()[0]
    await rig.keeper.acknowledge(alert.id, actor='ui:alice', origin='ui')
    await rig.keeper.snooze(alert.id, until=utc_now() + timedelta(hours=1), actor='ui:bob', origin='ui')
    kinds = [(e.kind, e.actor, e.detail['alert_id']) for e in await AuditEvent.all().order_by('id')]  # type: ignore[index]
    assert kinds == [('alert_acknowledged', 'ui:alice', alert.id), ('alert_snoozed', 'ui:bob', alert.id)]
    await rig.deliver()
    http.posts.clear()
    await rig.keeper.clear(Rule.CONTAINER_EXITED, 'jellyfin')
    await rig.keeper.hold(stopped('jellyfin'))  # flaps while snoozed: no message about it
    await rig.deliver()
    assert http.posts == []
    reopened = rig.keeper.open_alerts()[0]
    assert reopened.id != alert.id and reopened.snoozed_until is not None
    await Alert.filter(id=reopened.id).update(snoozed_until=utc_now() - timedelta(minutes=1))  # the snooze ran out
    await rig.keeper.clear(Rule.CONTAINER_EXITED, 'jellyfin')
    await rig.deliver()
    assert http.posts == []  # nobody was told it opened: no news that it ended
    with pytest.raises(AlertProblem):
        await rig.keeper.acknowledge(alert.id, actor='ui:alice', origin='ui')  # resolved: nothing to acknowledge


async def test_an_opening_not_yet_told_when_the_console_stopped_is_told_once_after_the_restart(
    store: None, http: HttpReceiver
) -> None:
    first = Rig(http, AlertsConfig(group_window='1h'))
    await first.keeper.hold(stopped('jellyfin'))  # the process dies inside the group window
    again = Rig(http)
    await again.keeper.load()
    assert [a.target for a in again.keeper.open_alerts()] == ['jellyfin']
    await again.messenger.catch_up()
    await again.deliver()
    await again.messenger.catch_up()
    await again.deliver()
    assert [p.json()['title'] for p in http.wait_for_posts(1)] == ['Unplanned stop: jellyfin']


async def test_a_stop_inside_a_run_that_targets_the_container_is_planned(store: None) -> None:
    planned = PlannedWork({'docker_restart': 60, 'stack_service_up': 600, 'docker_up_all': 1800})
    web = Subject(id='a' * 64, name='homelab-dev-web-1', stack='homelab-dev', service='web')
    now = utc_now()
    assert await planned.run_for(web, now) is None
    restart = await Run.create(
        operation='docker_restart', params={'container': 'homelab-dev-web-1'}, actor='cli:root', origin='cli',
        state=RunState.RUNNING,
    )  # fmt: skip
    assert await planned.run_for(web, now) == restart.id
    other = Subject(id='b' * 64, name='homelab-dev-logger-1', stack='homelab-dev', service='logger')
    assert await planned.run_for(other, now) is None
    restart.state, restart.finished_at = RunState.SUCCEEDED, now - timedelta(minutes=5)
    await restart.save()
    assert await planned.run_for(web, now) is None  # long over: a stop now is not its doing
    up = await Run.create(
        operation='stack_service_up', params={'stack': 'homelab-dev', 'service': 'logger', 'pull': False},
        actor='ui:admin', origin='action', state=RunState.SUCCEEDED, finished_at=now - timedelta(seconds=10),
    )  # fmt: skip
    assert await planned.run_for(other, now) == up.id
    assert await planned.run_for(web, now) is None
    await Run.create(operation='docker_logs', params={'container': 'homelab-dev-web-1'}, actor='x', origin='ui',
                     state=RunState.RUNNING)  # fmt: skip
    assert await planned.run_for(web, now) is None  # reading its logs plans nothing
    cut_off = await Run.create(
        operation='docker_restart', params={'container': 'homelab-dev-web-1'}, actor='cli:root', origin='cli',
        state=RunState.RUNNING,
    )  # fmt: skip
    assert await planned.run_for(web, now) == cut_off.id
    later = now + timedelta(hours=2)  # its process was killed: still "running", long past its 60 s timeout
    assert await planned.run_for(web, later) is None


async def test_a_condition_that_knows_its_start_counts_the_hold_time_from_there(
    store: None, http: HttpReceiver
) -> None:
    rig = Rig(http)  # drift_pending waits 1 h by default
    young = Condition(rule=Rule.DRIFT_PENDING, target='media/jellyfin', summary='waits', since=utc_now())
    old = Condition(rule=Rule.DRIFT_PENDING, target='dns/pihole', summary='waits', since=utc_now() - timedelta(hours=2))
    await rig.keeper.sync(Rule.DRIFT_PENDING, [young, old])
    assert [a.target for a in rig.keeper.open_alerts()] == ['dns/pihole']
