"""A channel's quiet hours hold every message but critical ones, and when they end the channel gets one digest of
them (retried while it is down, sent once); a bad quiet_hours is refused in one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ops.config import ChannelConfig, ConfigError, NotifyConfig, load_config
from ops.notify.outbox import MessageState, OutboxMessage, Severity
from ops.notify.quiet_hours import QuietHours
from ops.notify.sender import Sender, Settled
from tests.helpers.notify_peers import HttpReceiver


class WallClock:
    """The sender's clock, moved by the test (`clock.now += ...`); it starts at the real time."""

    def __init__(self) -> None:
        self.now = datetime.now(tz=UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def quiet_now(clock: WallClock) -> str:
    """Quiet hours from an hour before the clock's local time to an hour after it."""
    local = clock.now.astimezone()
    return f'{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=1):%H:%M}'


def channels(clock: WallClock, port: int) -> NotifyConfig:
    return NotifyConfig(
        channels={
            'pager': ChannelConfig(url=f'json://127.0.0.1:{port}/pager', quiet_hours=quiet_now(clock)),  # type: ignore[arg-type]
            'loud': ChannelConfig(url=f'json://127.0.0.1:{port}/loud'),  # type: ignore[arg-type]
        },
        first_retry=1,
        max_retry=1,
        timeout=10,
    )


async def test_quiet_hours_hold_all_but_critical_and_end_with_one_digest(http: HttpReceiver, store: None) -> None:
    clock = WallClock()
    sender = Sender(channels(clock, http.port), now=clock)
    settled: list[Settled] = []
    sender.settled.subscribe(settled.append)
    held = [
        (await sender.enqueue('pager', key, title=title, body='b', severity=severity))[0]
        for key, title, severity in (
            ('disk', 'disk 91% full', Severity.WARNING),
            ('backup', 'backup took 3 h', Severity.INFO),
            ('pull', 'nightly pull failed', Severity.FAILURE),
        )
    ]
    await sender.enqueue('pager', 'web', title='web is down', body='exited (137)', severity=Severity.CRITICAL)
    await sender.enqueue('loud', 'disk', title='disk 91% full', body='b', severity=Severity.WARNING)

    assert await sender.send_due() == 2
    assert [(post.path, post.json()['title'], post.json()['type']) for post in http.wait_for_posts(2)] == [
        ('/pager', 'web is down', 'failure'),
        ('/loud', 'disk 91% full', 'warning'),
    ]
    end = (await OutboxMessage.get(id=held[0].id)).next_attempt_at
    assert timedelta(minutes=59) < end - clock.now <= timedelta(hours=1)
    clock.now = end - timedelta(seconds=1)
    assert await sender.send_due() == 0 and len(http.posts) == 2

    clock.now = end
    assert await sender.send_due() == 3
    digest = http.wait_for_posts(3)[2]
    assert digest.path == '/pager'
    assert digest.json()['title'] == '3 notifications held during quiet hours'
    assert [line.split(' ', 1)[1] for line in digest.json()['message'].splitlines()] == [
        'disk 91% full',
        'backup took 3 h',
        'nightly pull failed',
    ]
    assert digest.json()['type'] == 'failure'  # the gravest of the held ones
    assert [(s.message_id, s.state) for s in settled[-3:]] == [(m.id, MessageState.SENT) for m in held]
    clock.now += timedelta(hours=1)
    assert await sender.send_due() == 0 and len(http.posts) == 3


async def test_a_digest_whose_channel_is_down_is_retried_and_arrives_once_even_across_a_restart(
    store: None,
) -> None:
    http = HttpReceiver()  # a port, nobody listening yet
    clock = WallClock()
    config = channels(clock, http.port)
    before_restart = Sender(config, now=clock)
    for key in ('a', 'b'):
        await before_restart.enqueue('pager', key, title=f'title {key}', body='b', severity=Severity.WARNING)
    assert {m.state for m in await OutboxMessage.all()} == {MessageState.HELD}

    sender = Sender(config, now=clock)  # the console restarted: the held messages are in the outbox
    clock.now += timedelta(hours=1, minutes=1)
    try:
        for attempt in (1, 2):
            assert await sender.send_due() == 2
            waiting = await OutboxMessage.all()
            assert {(m.state, m.attempts) for m in waiting} == {(MessageState.HELD, attempt)}
            assert all('Connection error' in (m.last_error or '') for m in waiting)
            assert await sender.send_due() == 0  # backing off
            clock.now += timedelta(seconds=1)
        http.start()
        assert await sender.send_due() == 2
        clock.now += timedelta(hours=1)
        assert await sender.send_due() == 0
    finally:
        http.stop()
    [digest] = http.posts
    assert digest.json()['title'] == '2 notifications held during quiet hours'
    assert {(m.state, m.attempts) for m in await OutboxMessage.all()} == {(MessageState.SENT, 3)}


BERLIN = ZoneInfo('Europe/Berlin')


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.mark.parametrize(
    ('window', 'now', 'until'),
    [
        ('22:00-07:00', '2026-06-01 23:30', '2026-06-02 07:00'),
        ('22:00-07:00', '2026-06-02 03:00', '2026-06-02 07:00'),
        ('22:00-07:00', '2026-06-01 22:00', '2026-06-02 07:00'),
        ('22:00-07:00', '2026-06-02 07:00', None),
        ('22:00-07:00', '2026-06-02 12:00', None),
        ('12:00-13:30', '2026-06-02 12:59', '2026-06-02 13:30'),
        ('12:00-13:30', '2026-06-02 11:59', None),
    ],
)
def test_quiet_hours_end_at_the_local_end_time_next_day_when_they_wrap(
    window: str, now: str, until: str | None
) -> None:
    ends = QuietHours.parse(window, BERLIN).until(berlin(now).astimezone(UTC))
    assert ends == (None if until is None else berlin(until).astimezone(UTC))


def test_the_spring_forward_night_is_an_hour_shorter_in_utc() -> None:
    ends = QuietHours.parse('22:00-07:00', BERLIN).until(berlin('2026-03-28 23:00').astimezone(UTC))
    assert ends == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def notify_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / 'homelab.toml'
    path.write_text(f'[notify]\n{text}\n[notify.channels.pager]\nurl_env = "PAGER_URL"\n')
    return path


@pytest.mark.parametrize('bad', ['22:00', '22-07', '24:00-07:00', '22:60-07:00', '7:00-22:00', '22:00 - 07:00', ''])
def test_a_bad_quiet_hours_is_refused_in_one_line(tmp_path: Path, bad: str) -> None:
    path = tmp_path / 'homelab.toml'
    path.write_text(f'[notify.channels.pager]\nurl_env = "PAGER_URL"\nquiet_hours = "{bad}"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value) == (
        f'config {path}: notify.channels.pager.quiet_hours: quiet_hours must be HH:MM-HH:MM in the console '
        'host\'s local time, like "22:00-07:00"'
    )


def test_quiet_hours_that_start_when_they_end_are_refused(tmp_path: Path) -> None:
    path = tmp_path / 'homelab.toml'
    path.write_text('[notify.channels.pager]\nurl_env = "PAGER_URL"\nquiet_hours = "07:00-07:00"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value).endswith(
        'notify.channels.pager.quiet_hours: quiet_hours must start and end at different times'
    )


def test_good_quiet_hours_and_keep_durations_load(tmp_path: Path) -> None:
    path = notify_config(tmp_path, 'keep_sent = "7d"\nkeep_failed = "2160h"')
    path.write_text(path.read_text() + 'quiet_hours = "22:00-07:00"\n')
    notify = load_config(path).notify
    assert notify.channels['pager'].quiet_hours == '22:00-07:00'
    assert (notify.keep_sent, notify.keep_failed) == ('7d', '2160h')
    assert (NotifyConfig().keep_sent, NotifyConfig().keep_failed) == ('30d', '90d')


@pytest.mark.parametrize(
    ('text', 'rule'),
    [
        ('keep_sent = "12h"', 'notify.keep_sent: keep_sent and keep_failed must be at least 1d'),
        ('keep_failed = "forever"', "notify.keep_failed: not a duration like 26h or 90m: 'forever'"),
    ],
)
def test_a_bad_keep_duration_is_refused(tmp_path: Path, text: str, rule: str) -> None:
    path = notify_config(tmp_path, text)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value) == f'config {path}: {rule}'
