"""Notifications reach real receivers on loopback through apprise: e-mail, JSON webhook and ntfy; the outbox sends
each (channel, dedup key) once, keeps retrying while a receiver is down, and no channel secret leaks anywhere."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from ops.config import ChannelConfig, HomelabConfig, NotifyConfig
from ops.notify.channels import send
from ops.notify.outbox import MessageState, OutboxMessage, Severity
from ops.notify.sender import Sender, Settled, backoff
from tests.helpers.notify_peers import HttpReceiver, SmtpReceiver
from tests.helpers.waiting import wait_for_async

SECRET = 's3cr3tT0kenXyZ'


def quick(**channels: str) -> NotifyConfig:
    """Channels with a short back-off so a test waits a second or two, not minutes."""
    return NotifyConfig(
        channels={name: ChannelConfig(url=url) for name, url in channels.items()},  # type: ignore[arg-type]
        first_retry=0.2,
        max_retry=0.5,
        timeout=10,
    )


async def test_an_email_arrives_with_its_title_and_body(smtp: SmtpReceiver) -> None:
    channel = ChannelConfig(url=f'mailto://127.0.0.1:{smtp.port}?from=console@home.lan&to=me@home.lan&secure=no')
    outcome = await send(
        channel, title='web is down', body='homelab-dev-web-1 exited (137)', severity='failure', timeout=20
    )
    assert outcome.sent, outcome.reason
    [mail] = smtp.wait_for_mails(1)
    assert mail['Subject'] == 'web is down'
    assert mail['To'] == 'me@home.lan'
    texts = [part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart()]
    assert any('homelab-dev-web-1 exited (137)' in text for text in texts)


async def test_html_in_a_message_arrives_as_text_not_markup(smtp: SmtpReceiver) -> None:
    """Alert bodies carry text nobody here wrote (a healthcheck's output, a container's name): an HTML e-mail
    (or Telegram) shows it, it never becomes markup."""
    channel = ChannelConfig(url=f'mailto://127.0.0.1:{smtp.port}?from=console@home.lan&to=me@home.lan&secure=no')
    body = 'health output: <img src=x onerror=alert(1)> & <b>down</b>'
    outcome = await send(channel, title='Unhealthy: sick', body=body, severity='warning', timeout=20)
    assert outcome.sent, outcome.reason
    [mail] = smtp.wait_for_mails(1)
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in mail.walk()
             if not part.is_multipart()}  # fmt: skip
    assert '<img' not in parts.get('text/html', '')  # no HTML part, or one where it is escaped
    assert parts['text/plain'].strip() == body


async def test_json_and_ntfy_posts_carry_title_and_message(http: HttpReceiver) -> None:
    assert (
        await send(
            ChannelConfig(url=f'json://127.0.0.1:{http.port}/hook'), title='T', body='B', severity='warning', timeout=20
        )
    ).sent
    assert (
        await send(
            ChannelConfig(url=f'ntfy://127.0.0.1:{http.port}/homelab'),
            title='T2',
            body='B2',
            severity='info',
            timeout=20,
        )
    ).sent
    hook, ntfy = http.wait_for_posts(2)
    assert hook.path == '/hook'
    assert hook.json()['title'] == 'T' and hook.json()['message'] == 'B' and hook.json()['type'] == 'warning'
    assert ntfy.json() == {'topic': 'homelab', 'title': 'T2', 'message': 'B2'}


async def test_url_file_and_url_env_are_read_at_each_send(
    http: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url_file = tmp_path / 'url'
    url_file.write_text(f'  json://127.0.0.1:{http.port}/from-file\n')
    monkeypatch.setenv('HOMELAB_TEST_NOTIFY_URL', f'json://127.0.0.1:{http.port}/from-env')
    assert (await send(ChannelConfig(url_file=str(url_file)), title='f', body='f', severity='info', timeout=20)).sent
    assert (
        await send(ChannelConfig(url_env='HOMELAB_TEST_NOTIFY_URL'), title='e', body='e', severity='info', timeout=20)
    ).sent
    assert [post.path for post in http.wait_for_posts(2)] == ['/from-file', '/from-env']
    monkeypatch.delenv('HOMELAB_TEST_NOTIFY_URL')
    missing = await send(
        ChannelConfig(url_env='HOMELAB_TEST_NOTIFY_URL'), title='e', body='e', severity='info', timeout=20
    )
    assert not missing.sent and 'HOMELAB_TEST_NOTIFY_URL is not set' in missing.reason


async def test_a_message_queued_twice_is_delivered_once(http: HttpReceiver, store: None) -> None:
    sender = Sender(quick(hook=f'json://127.0.0.1:{http.port}/hook'))
    settled: list[Settled] = []
    sender.settled.subscribe(settled.append)
    first, new = await sender.enqueue('hook', 'web:down', title='web down', body='b')
    again, new_again = await sender.enqueue('hook', 'web:down', title='web down', body='b')
    assert new and not new_again and again.id == first.id
    task = asyncio.create_task(sender.run())
    try:
        await wait_for_async(lambda: settled, timeout=20, what='the message settled')
        await sender.enqueue('hook', 'web:down', title='web down', body='b')  # already sent: not again
        assert await sender.send_due() == 0
    finally:
        sender.stop()
        await task
    assert len(http.posts) == 1
    message = await OutboxMessage.get(id=first.id)
    assert message.state == MessageState.SENT and message.attempts == 1 and message.sent_at is not None
    assert settled == [Settled(first.id, 'hook', 'web:down', MessageState.SENT, None)]


async def test_a_receiver_down_for_a_while_gets_each_message_exactly_once_when_it_is_back(store: None) -> None:
    http = HttpReceiver()  # a port, nobody listening yet
    sender = Sender(quick(hook=f'json://127.0.0.1:{http.port}/hook', mail=f'ntfy://127.0.0.1:{http.port}/t'))
    for key in ('a', 'b'):
        await sender.enqueue('hook', key, title=f'title {key}', body='b', severity=Severity.FAILURE)
    await sender.enqueue('mail', 'a', title='title ntfy a', body='b')
    task = asyncio.create_task(sender.run())
    try:

        async def retried() -> bool:
            return all(m.attempts >= 3 for m in await OutboxMessage.all())

        await wait_for_async(retried, timeout=30, what='three failed attempts each while the receiver is down')
        pending = await OutboxMessage.all().order_by('id')
        assert {m.state for m in pending} == {MessageState.PENDING}
        assert all('Connection error' in (m.last_error or '') for m in pending)
        http.start()

        async def all_sent() -> bool:
            return {m.state for m in await OutboxMessage.all()} == {MessageState.SENT}

        await wait_for_async(all_sent, timeout=30, what='every message sent once the receiver is back')
    finally:
        sender.stop()
        await task
        http.stop()
    titles = sorted(post.json()['title'] for post in http.posts)
    assert titles == ['title a', 'title b', 'title ntfy a']


async def test_a_message_is_failed_after_its_attempts_and_said_so(store: None) -> None:
    http = HttpReceiver()
    config = quick(hook=f'json://127.0.0.1:{http.port}/hook').model_copy(update={'max_attempts': 2})
    sender = Sender(config)
    settled: list[Settled] = []
    sender.settled.subscribe(settled.append)
    message, _ = await sender.enqueue('hook', 'k', title='t', body='b')
    gone, _ = await sender.enqueue('removed', 'k', title='t', body='b')
    task = asyncio.create_task(sender.run())
    try:
        await wait_for_async(lambda: len(settled) == 2, timeout=20, what='both messages given up')
    finally:
        sender.stop()
        await task
    failed = {s.message_id: s for s in settled}
    assert failed[message.id].state == MessageState.FAILED and 'Connection error' in (failed[message.id].error or '')
    assert failed[gone.id].error == 'no channel named removed in the config'
    assert (await OutboxMessage.get(id=message.id)).attempts == 2


def test_backoff_doubles_up_to_its_ceiling() -> None:
    config = NotifyConfig()
    assert [backoff(n, config) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(30, config) == 300


async def test_a_channel_secret_is_in_no_log_record_error_or_repr(
    store: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    http = HttpReceiver()
    url = f'json://user:{SECRET}@127.0.0.1:{http.port}/hook/{SECRET}?token={SECRET}'
    config = quick(hook=url).model_copy(update={'max_attempts': 2})
    assert SECRET not in repr(HomelabConfig(notify=config)) and SECRET not in str(HomelabConfig(notify=config))
    sender = Sender(config)
    message, _ = await sender.enqueue('hook', 'k', title='t', body='b')
    task = asyncio.create_task(sender.run())
    try:

        async def failed() -> bool:
            return (await OutboxMessage.get(id=message.id)).state == MessageState.FAILED

        await wait_for_async(failed, timeout=20, what='the message failed')
        http.start()
        await sender.enqueue('hook', 'k2', title='t', body='b')

        async def sent() -> bool:
            return (await OutboxMessage.get(channel='hook', dedup_key='k2')).state == MessageState.SENT

        await wait_for_async(sent, timeout=20, what='the second message sent')
    finally:
        sender.stop()
        await task
        http.stop()
    assert http.posts and SECRET in http.posts[0].path  # the secret did go where it belongs
    errors = [m.last_error or '' for m in await OutboxMessage.all()]
    assert any(errors) and not any(SECRET in error for error in errors)
    assert caplog.records and not [r for r in caplog.records if SECRET in r.getMessage()]
    assert SECRET not in caplog.text
