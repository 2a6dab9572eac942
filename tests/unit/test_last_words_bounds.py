"""Last words stay bounded: at most N lines and B bytes of UTF-8, odd bytes stored as text, every line let go
counted, secrets hidden, a bounded number of records per container, none older than the retention window."""

from __future__ import annotations

from datetime import timedelta

from ops.alerts.keeper import Change
from ops.alerts.messages import compose
from ops.alerts.records import Alert
from ops.alerts.rules import AlertSeverity, Rule
from ops.clock import utc_now
from ops.docker.logstream import LogDecoder
from ops.maintenance import last_words_store
from ops.maintenance.last_words import tail_text
from ops.maintenance.last_words_store import keep_words, last_words_of, prune
from ops.maintenance.log_secrets import hidden, secret_values
from ops.maintenance.records import LastWords
from ops.maintenance.tail_ring import TailRing, Words, bounded


def test_the_ring_keeps_the_newest_lines_and_counts_all_it_saw() -> None:
    ring = TailRing(max_lines=1000, max_bytes=1 << 20)
    ring.extend([f'line {i}' for i in range(1, 4001)])  # one big batch
    ring.extend([f'line {i}' for i in range(4001, 5001)])
    lines, seen = ring.taken()
    assert (lines[0], lines[-1], len(lines), seen) == ('line 4001', 'line 5000', 1000, 5000)
    words = bounded(lines, max_lines=1000, max_bytes=1 << 20, seen=seen)
    assert (len(words.lines), words.dropped) == (1000, 4000)


def test_the_ring_holds_about_its_byte_budget_while_following() -> None:
    ring = TailRing(max_lines=1000, max_bytes=1024)
    ring.extend(['x' * 99] * 50)  # 100 characters a line with its newline
    lines, seen = ring.taken()
    assert (len(lines), seen) == (10, 50)


def test_the_byte_bound_counts_utf8_bytes_and_newlines() -> None:
    texts = ['é' * 100] * 20  # 200 bytes a line
    words = bounded(texts, max_lines=1000, max_bytes=1024)
    assert len(words.text.encode()) <= 1024
    assert (len(words.lines), words.dropped) == (5, 15)  # 5 * 200 + 4 newlines = 1004


def test_a_newest_line_longer_than_the_budget_is_cut_whole_characters() -> None:
    words = bounded(['old', '€' * 1000], max_lines=10, max_bytes=1024)
    assert words.lines == ('€' * 341,)  # 1023 bytes: the 342nd character would not fit
    assert words.dropped == 1


def test_odd_bytes_are_stored_as_readable_text() -> None:
    decoder = LogDecoder(tty=True, timestamps=False)
    raw = b'bad \xff\xfe byte\nnul \x00 here\nansi \x1b[31mred\x1b[0m\n'
    texts = [line.text for line in decoder.feed(raw)]
    words = bounded([*texts, 'lone \ud800 surrogate'], max_lines=10, max_bytes=4096)
    assert words.lines[0] == 'bad \ufffd\ufffd byte'
    assert words.lines[1] == 'nul \ufffd here'
    assert words.lines[2] == 'ansi \x1b[31mred\x1b[0m'  # kept: the page renders the colours, alerts strip them
    assert words.lines[3] == 'lone \\ud800 surrogate'
    words.text.encode('utf-8')  # storable as it is


def test_the_alert_tail_is_the_last_twenty_lines_without_escapes() -> None:
    words = Words(lines=tuple(f'\x1b[1mline {i}\x1b[0m\x07' + 'y' * 400 for i in range(50)))
    tail = tail_text(words) or ''
    rows = tail.split('\n')
    assert len(rows) == 20 and rows[0].startswith('line 30y') and all(len(row) <= 300 for row in rows)
    assert '\x1b' not in tail and '\x07' not in tail
    assert tail_text(Words(lines=())) is None


def test_secrets_of_the_container_urls_and_secret_looking_pairs_are_hidden() -> None:
    config = {'Config': {'Env': ['DB_PASSWORD=hunter2-long', 'LEVEL=debug', 'API_TOKEN=ab']}, 'ImageEnv': []}
    secrets = secret_values(config)
    assert secrets == ('hunter2-long',)  # a two-character value would hide too much
    lines = hidden(
        [
            'login with hunter2-long failed',
            'connecting to postgres://app:pw123@db/app',
            'env: SMTP_PASS=letmein LEVEL=debug',
            'the key: value of it',
        ],
        secrets,
    )
    assert lines == [
        'login with (hidden) failed',
        'connecting to postgres://app:(hidden)@db/app',
        'env: SMTP_PASS=(hidden) LEVEL=debug',
        'the key: value of it',
    ]


async def test_each_container_keeps_its_newest_record_and_a_crash_loop_only_the_newest(store: None) -> None:
    now = utc_now()

    async def death(name: str, minutes_ago: float) -> None:
        await keep_words(
            Words(lines=(f'{name} said goodbye',)),
            container_id='ab' * 32,
            name=name,
            stack=None,
            service=None,
            image='busybox:1.36',
            exit_code=1,
            ended_at=now - timedelta(minutes=minutes_ago),
        )

    await death('quiet', 500)
    for i in range(100):
        await death('looping', 100 - i)
    assert await LastWords.filter(name='quiet').count() == 1
    assert await LastWords.filter(name='looping').count() == last_words_store.KEEP_NEWEST
    newest = await last_words_of('looping')
    assert newest is not None and newest.ended_at == now - timedelta(minutes=1)
    assert await last_words_of('abababababab') is not None  # by short id, once the name is gone


async def test_records_older_than_the_retention_window_are_deleted(store: None) -> None:
    now = utc_now()
    for name, days in (('old', 31), ('recent', 29)):
        await LastWords.create(container_id='c' * 64, name=name, ended_at=now - timedelta(days=days))
    assert await prune(30 * 86400) == 1
    assert [row.name for row in await LastWords.all()] == ['recent']


def test_the_message_keeps_the_last_words_as_lines() -> None:
    alert = Alert(
        id=7,
        rule=Rule.CONTAINER_EXITED,
        target='web-1',
        severity=AlertSeverity.WARNING,
        summary='web-1 stopped unexpectedly, exit code 1',
        evidence={'exit_code': 1, 'last_words': 'starting\nfatal: broken config'},
        opened_at=utc_now(),
        updated_at=utc_now(),
    )
    _, body = compose(Change.OPENED, 'Unplanned stop', [alert])
    assert body.endswith('Last words:\n  starting\n  fatal: broken config')
    assert 'exit code: 1' in body
