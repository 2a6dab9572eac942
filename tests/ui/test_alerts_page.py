"""The Alerts page through NiceGUI's simulated user: a new alert shows live, Acknowledge and Snooze are audited
with the person and refused once the session ended, the history filters and pages, hostile text stays text,
Send test reaches a real receiver without the channel's URL on the page; the Overview and /summary list them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from nicegui import Client, ui
from nicegui.testing import User

import components.pager as pager
from components.alert_banner import alert_banner
from components.alert_card import alert_card
from components.alert_table import alert_table
from components.open_alerts import open_alerts
from components.stack_cards import stack_cards
from ops.alerts.keeper import AlertKeeper, Condition
from ops.alerts.records import Alert, AlertMessage, AlertState
from ops.alerts.rules import AlertSeverity, Rule
from ops.docker.containers import ContainerInfo
from ops.notify.outbox import MessageState, OutboxMessage
from ops.store.access import LoginSession
from ops.store.audit_kinds import AuditKind
from ops.store.models import AuditEvent
from ops.world.observer import ContainerChange
from tests.helpers.notify_peers import HttpReceiver
from tests.helpers.page_events import send, socket_click
from tests.helpers.waiting import wait_for_async

HOSTILE = '<img src=x onerror=alert(1)><b>web</b>'


def stopped(target: str, code: int = 137) -> Condition:
    return Condition(
        rule=Rule.CONTAINER_EXITED,
        target=target,
        summary=f'{target} stopped unexpectedly, exit code {code}',
        evidence={'exit_code': code, 'stack': 'media'},
        group='media',
    )


async def open_alerts_page(user: User) -> tuple[Client, AlertKeeper]:
    client = await user.open('/alerts')
    await user.should_see('Open', retries=50)
    (board,) = user.find(open_alerts).elements
    return client, cast(open_alerts, board).keeper


def card(user: User, alert_id: int) -> alert_card | None:
    try:
        cards = user.find(alert_card).elements
    except AssertionError:
        return None
    return next((cast(alert_card, c) for c in cards if c.props.get('data-alert') == str(alert_id)), None)


def texts(root: ui.element) -> list[str]:
    """Every text the element and its descendants show."""
    return [str(e.text) for e in [root, *root.descendants()] if isinstance(getattr(e, 'text', None), str)]


def history(user: User) -> list[dict[str, Any]]:
    try:
        (table,) = user.find(alert_table).elements
    except AssertionError:
        return []
    return list(cast(alert_table, table).rows)


async def first_event(kind: AuditKind) -> AuditEvent | None:
    return await AuditEvent.filter(kind=kind).first()


async def nth_event(kind: AuditKind, n: int) -> AuditEvent | None:
    events = await AuditEvent.filter(kind=kind).order_by('id')
    return events[n - 1] if len(events) >= n else None


def page_dump(client: Client) -> str:
    """Everything the page's elements would send to a browser (texts, props, table rows)."""
    return json.dumps([element._to_dict() for element in client.elements.values()], default=str)


async def test_a_new_alert_shows_live_and_acknowledge_and_snooze_name_the_person(signed_in_console, dead_engine):
    async with signed_in_console(docker_host=dead_engine) as user:
        _, keeper = await open_alerts_page(user)
        await user.should_see('No open alerts', retries=50)
        await keeper.hold(stopped('media-web-1'))
        [alert] = keeper.open_alerts()
        shown = await wait_for_async(lambda: card(user, alert.id), timeout=10, what='the new alert on the page')
        assert {'Unplanned stop', 'media-web-1', 'media-web-1 stopped unexpectedly, exit code 137'} <= set(texts(shown))
        assert {'exit code', '137'} <= set(texts(shown))
        await wait_for_async(lambda: [r['id'] for r in history(user)] == [alert.id], timeout=10, what='history row')

        user.find(marker=f'acknowledge-{alert.id}').click()
        ack = await wait_for_async(
            lambda: first_event(AuditKind.ALERT_ACKNOWLEDGED), timeout=10, what='the audit event'
        )
        assert ack.actor == 'ui:admin' and ack.origin == 'ui' and ack.detail['alert_id'] == alert.id
        await wait_for_async(
            lambda: any(t.startswith('Acknowledged by ui:admin') for t in texts(card(user, alert.id) or ui.label())),
            timeout=10,
            what='"Acknowledged by ui:admin" on the card',
        )

        user.find(marker=f'snooze-{alert.id}-8h').click()
        snoozed = await wait_for_async(
            lambda: first_event(AuditKind.ALERT_SNOOZED), timeout=10, what='the snooze event'
        )
        assert snoozed.actor == 'ui:admin' and snoozed.detail['alert_id'] == alert.id
        until = datetime.fromisoformat(snoozed.detail['until'])
        assert timedelta(hours=7, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=8)
        await wait_for_async(
            lambda: any(
                t.startswith('Snoozed until') and 'by ui:admin' in t for t in texts(card(user, alert.id) or ui.label())
            ),
            timeout=10,
            what='"Snoozed until … by ui:admin" on the card',
        )
        stored = await Alert.get(id=alert.id)
        assert stored.acknowledged_by == 'ui:admin' and stored.snoozed_by == 'ui:admin'

        user.find(marker=f'snooze-{alert.id}-other').click()  # any number of hours
        await user.should_see(marker=f'snooze-{alert.id}-hours', retries=50)
        user.find(marker=f'snooze-{alert.id}-hours').clear().type('3')
        user.find(marker=f'snooze-{alert.id}-confirm').click()
        second = await wait_for_async(lambda: nth_event(AuditKind.ALERT_SNOOZED, 2), timeout=10, what='snooze 3 h')
        until = datetime.fromisoformat(second.detail['until'])
        assert second.actor == 'ui:admin'
        assert timedelta(hours=2, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=3)

        await keeper.clear(Rule.CONTAINER_EXITED, 'media-web-1', resolution='media-web-1 runs again')
        await wait_for_async(lambda: card(user, alert.id) is None, timeout=10, what='the card to go')
        await user.should_see('No open alerts', retries=50)
        row = await wait_for_async(
            lambda: next((r for r in history(user) if r['state'] == 'resolved'), None), timeout=10, what='resolved'
        )
        assert row['resolution'] == 'media-web-1 runs again' and row['acknowledged_by'] == 'ui:admin'


async def test_acknowledge_and_snooze_are_refused_once_the_session_ended(signed_in_console, dead_engine):
    async with signed_in_console(docker_host=dead_engine) as user:
        client, keeper = await open_alerts_page(user)
        await keeper.hold(stopped('media-db-1'))
        [alert] = keeper.open_alerts()
        await wait_for_async(lambda: card(user, alert.id), timeout=10, what='the alert on the page')
        acknowledge = socket_click(user.find(marker=f'acknowledge-{alert.id}').elements.pop())
        snooze = socket_click(user.find(marker=f'snooze-{alert.id}-1d').elements.pop())
        await LoginSession.filter(username='admin').update(last_seen_at=datetime.now(UTC) - timedelta(days=2))
        send(client, acknowledge)
        send(client, snooze)
        refused = await wait_for_async(
            lambda: first_event(AuditKind.SESSION_ENDED_REFUSED), timeout=10, what='the refusal'
        )
        assert refused.actor == 'ui:admin' and refused.detail['page'] == '/alerts'
        await user.should_see('Sign in', retries=50)
        stored = await Alert.get(id=alert.id)
        assert stored.acknowledged_by is None and stored.snoozed_until is None
        kinds = {e.kind for e in await AuditEvent.all()}
        assert not kinds & {AuditKind.ALERT_ACKNOWLEDGED, AuditKind.ALERT_SNOOZED}


async def test_the_history_filters_and_pages_by_keyset(signed_in_console, dead_engine, monkeypatch):
    monkeypatch.setattr(pager, 'PAGE_SIZE', 3)
    async with signed_in_console(docker_host=dead_engine) as user:
        now = datetime.now(UTC)
        made: list[Alert] = []
        for n, (rule, severity, target) in enumerate(
            [
                (Rule.CONTAINER_EXITED, AlertSeverity.WARNING, 'media-web-1'),
                (Rule.CRASH_LOOP, AlertSeverity.CRITICAL, 'media-db-1'),
                (Rule.DISK_FULL, AlertSeverity.WARNING, '/srv'),
                (Rule.CONTAINER_EXITED, AlertSeverity.WARNING, 'photos-app-1'),
                (Rule.REBOOT_REQUIRED, AlertSeverity.INFO, 'host'),
            ]
        ):
            made.append(
                await Alert.create(
                    rule=rule,
                    target=target,
                    severity=severity,
                    state=AlertState.RESOLVED,
                    summary=f'{target} #{n}',
                    opened_at=now - timedelta(hours=5 - n),
                    updated_at=now,
                    resolved_at=now,
                    resolution='cleared',
                )
            )
        ids = [a.id for a in reversed(made)]
        for channel, state, error in (('phone', MessageState.SENT, None), ('mail', MessageState.FAILED, 'SMTP: 535')):
            message = await OutboxMessage.create(
                channel=channel, dedup_key=f'alert-opened:{made[3].id}', title='t', body='b', next_attempt_at=now,
                state=state, attempts=3, last_error=error,
            )  # fmt: skip
            await AlertMessage.create(alert_id=made[3].id, message_id=message.id, kind='opened')
        await open_alerts_page(user)

        def shown() -> list[int]:
            return [row['id'] for row in history(user)]

        await wait_for_async(lambda: shown() == ids[:3], timeout=10, what=f'the newest page {ids[:3]}')
        [stop] = [row for row in history(user) if row['id'] == made[3].id]
        assert [(m['channel'], m['state'], m['attempts'], m['error']) for m in stop['messages']] == [
            ('mail', 'failed', '3 attempts', 'SMTP: 535'),
            ('phone', 'sent', '3 attempts', ''),
        ]
        user.find(marker='page-older').click()
        await wait_for_async(lambda: shown() == ids[3:], timeout=10, what='the older page')
        user.find(marker='page-newer').click()
        await wait_for_async(lambda: shown() == ids[:3], timeout=10, what='back to the newest')

        field = {e.props.get('data-filter'): e for e in user.find(ui.select).elements}
        cast(ui.select, field['rule']).value = Rule.CONTAINER_EXITED
        await wait_for_async(lambda: shown() == [made[3].id, made[0].id], timeout=10, what='only unplanned stops')
        cast(ui.select, field['rule']).value = None
        cast(ui.select, field['severity']).value = AlertSeverity.CRITICAL
        await wait_for_async(lambda: shown() == [made[1].id], timeout=10, what='only the critical one')
        cast(ui.select, field['severity']).value = None
        await wait_for_async(lambda: shown() == ids[:3], timeout=10, what='no filter again')
        cast(ui.select, field['state']).value = AlertState.OPEN
        await wait_for_async(lambda: shown() == [], timeout=10, what='nothing open')
        cast(ui.select, field['state']).value = AlertState.RESOLVED
        await wait_for_async(lambda: shown() == ids[:3], timeout=10, what='resolved ones')
        user.find(marker='alert-target').type('MEDIA').trigger('keydown.enter')
        await wait_for_async(lambda: shown() == [made[1].id, made[0].id], timeout=10, what='targets with "media"')


async def test_a_target_with_html_in_it_is_shown_as_text(signed_in_console, dead_engine):
    async with signed_in_console(docker_host=dead_engine) as user:
        client, keeper = await open_alerts_page(user)
        await keeper.hold(
            Condition(
                rule=Rule.CONTAINER_EXITED, target=HOSTILE, summary=f'{HOSTILE} stopped', evidence={'image': HOSTILE}
            )
        )
        [alert] = keeper.open_alerts()
        shown = await wait_for_async(lambda: card(user, alert.id), timeout=10, what='the hostile alert')
        assert {HOSTILE, f'{HOSTILE} stopped'} <= set(texts(shown))
        await wait_for_async(lambda: any(r['target'] == HOSTILE for r in history(user)), timeout=10, what='row')
        assert not [e for e in client.elements.values() if isinstance(e, ui.html | ui.markdown)]
        (table,) = user.find(alert_table).elements
        assert all('v-html' not in slot.template for slot in table.slots.values() if slot.template)
        await user.open('/')
        (banner,) = user.find(alert_banner).elements
        await wait_for_async(lambda: HOSTILE in texts(banner), timeout=10, what='the hostile target on the Overview')


@pytest.fixture
def channel(http: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A config with one channel, `hook`, that posts to the loopback receiver; yields the URL (a secret)."""
    url = f'json://127.0.0.1:{http.port}/x'
    config = tmp_path / 'homelab.toml'
    config.write_text(f'[notify.channels.hook]\nurl = "{url}"\n')
    monkeypatch.setenv('HOMELAB_CONFIG', str(config))
    yield url


async def test_send_test_reaches_the_channel_and_never_shows_its_url(signed_in_console, dead_engine, http, channel):
    async with signed_in_console(docker_host=dead_engine) as user:
        client, _ = await open_alerts_page(user)
        await user.should_see('hook', retries=50)
        user.find(marker='test-hook').click()
        await user.should_see('Sent: hook took the test message.', retries=100)
        [post] = http.posts
        assert post.path == '/x' and post.json()['title'] == 'Homelab console: test message'
        [event] = await AuditEvent.filter(kind=AuditKind.NOTIFY_TEST)
        assert event.actor == 'ui:admin' and event.origin == 'ui' and event.detail == {'channels': {'hook': 'sent'}}
        dump = page_dump(client)
        assert channel not in dump and f'127.0.0.1:{http.port}' not in dump

        http.stop()  # the channel is down now: the page says why, still without the URL
        user.find(marker='test-hook').click()
        await user.should_see('Not sent:', retries=200)
        assert f'127.0.0.1:{http.port}' not in page_dump(client)
        assert await AuditEvent.filter(kind=AuditKind.NOTIFY_TEST).count() == 2


async def test_the_overview_shows_open_alerts_and_badges_the_container(signed_in_console, dead_engine):
    async with signed_in_console(docker_host=dead_engine) as user:
        # Hidden while nothing is open (the simulated user finds visible elements only).
        (banner,) = [e for e in user.client.elements.values() if isinstance(e, alert_banner)]
        assert not banner.visible
        (cards,) = user.find(stack_cards).elements
        info = ContainerInfo(id='c' * 64, name='media-web-1', stack='media', service='web', state='exited',
                             health=None, image='busybox:1.36', status='Exited (137)', created=0)  # fmt: skip
        cast(stack_cards, cards).observer.container_changed.emit(ContainerChange(container_id=info.id, info=info))
        await user.should_see('media-web-1', retries=50)
        await banner.keeper.hold(stopped('media-web-1'))
        await wait_for_async(lambda: banner.visible, timeout=10, what='the banner')
        assert {'1 open alert', 'Unplanned stop', 'media-web-1'} <= set(texts(banner))
        await user.should_see(marker='alert-badge-media-web-1', retries=50)
        (badge,) = user.find(marker='alert-badge-media-web-1').elements
        assert cast(ui.badge, badge).text == 'Unplanned stop'
        await banner.keeper.clear(Rule.CONTAINER_EXITED, 'media-web-1')
        await wait_for_async(lambda: not banner.visible, timeout=10, what='the banner to go')
        await user.should_not_see(marker='alert-badge-media-web-1', retries=50)


async def test_summary_lists_the_open_alerts(signed_in_console, dead_engine, channel):
    async with signed_in_console(docker_host=dead_engine) as user:
        _, keeper = await open_alerts_page(user)
        await keeper.hold(stopped('media-web-1'))
        [alert] = keeper.open_alerts()
        await keeper.acknowledge(alert.id, actor='ui:admin', origin='ui')
        response = await user.http_client.get('/summary')
        assert response.status_code == 200
        [listed] = response.json()['alerts']
        assert listed == {
            'id': alert.id,
            'rule': 'container_exited',
            'label': 'Unplanned stop',
            'target': 'media-web-1',
            'severity': 'warning',
            'since': alert.opened_at.isoformat(),
            'summary': 'media-web-1 stopped unexpectedly, exit code 137',
            'acknowledged_by': 'ui:admin',
            'snoozed_until': None,
        }
        assert channel not in response.text
