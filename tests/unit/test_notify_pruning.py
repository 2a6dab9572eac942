"""The outbox forgets sent messages after keep_sent and failed ones after keep_failed, never a waiting one; a
database from before quiet hours opens and takes held and critical messages."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from ops.config import ChannelConfig, NotifyConfig
from ops.notify.outbox import MessageState, OutboxMessage, Severity
from ops.notify.sender import Sender
from ops.store.db import close_store, open_store, tortoise_config
from tests.helpers.waiting import wait_for_async

NOW = datetime.now(tz=UTC).replace(microsecond=0)


async def aged(key: str, state: MessageState, days: int) -> int:
    """A message in `state` created `days` ago; returns its id."""
    message = await OutboxMessage.create(
        channel='hook',
        dedup_key=key,
        title=key,
        body='b',
        state=state,
        created_at=NOW - timedelta(days=days),
        next_attempt_at=NOW + timedelta(hours=1),  # a waiting one is not due: the sender leaves it be
    )
    return message.id


def config() -> NotifyConfig:
    return NotifyConfig(channels={'hook': ChannelConfig(url='json://127.0.0.1:9/hook')})  # type: ignore[arg-type]


async def test_old_sent_and_failed_messages_are_deleted_and_waiting_ones_kept(store: None) -> None:
    for key, state, days in (
        ('sent-old', MessageState.SENT, 31),
        ('sent-recent', MessageState.SENT, 29),
        ('failed-old', MessageState.FAILED, 91),
        ('failed-recent', MessageState.FAILED, 89),
        ('pending-old', MessageState.PENDING, 200),
        ('held-old', MessageState.HELD, 200),
    ):
        await aged(key, state, days)
    sender = Sender(config(), now=lambda: NOW)
    assert await sender.prune() == 2
    kept = await OutboxMessage.all().order_by('id').values_list('dedup_key', flat=True)
    assert kept == ['sent-recent', 'failed-recent', 'pending-old', 'held-old']
    shorter = config().model_copy(update={'keep_sent': '1d', 'keep_failed': '2d'})
    assert await Sender(shorter, now=lambda: NOW).prune() == 2
    assert await OutboxMessage.all().order_by('id').values_list('dedup_key', flat=True) == ['pending-old', 'held-old']


async def test_the_running_sender_prunes_when_it_starts(store: None) -> None:
    old = await aged('sent-old', MessageState.SENT, 31)
    sender = Sender(config(), now=lambda: NOW)
    task = asyncio.create_task(sender.run())
    try:

        async def pruned() -> bool:
            return not await OutboxMessage.filter(id=old).exists()

        await wait_for_async(pruned, timeout=20, what='the old sent message pruned')
    finally:
        sender.stop()
        await task


async def test_an_outbox_from_before_quiet_hours_takes_held_and_critical_messages(tmp_path: Path) -> None:
    database = tmp_path / 'h.sqlite3'
    await migrate(config=tortoise_config(database), target='homelab.0009_outbox')
    await Tortoise.close_connections()
    with sqlite3.connect(database) as db:
        db.execute(
            'INSERT INTO outbox_messages (channel, dedup_key, title, body, severity, created_at, attempts, '
            "next_attempt_at, state) VALUES ('hook', 'k', 't', 'b', 'failure', ?, 0, ?, 'pending')",
            (NOW.isoformat(), NOW.isoformat()),
        )
    await open_store(database)
    try:
        before = await OutboxMessage.get(dedup_key='k')
        assert (before.severity, before.state) == (Severity.FAILURE, MessageState.PENDING)
        quiet = NotifyConfig(channels={'hook': ChannelConfig(url='json://127.0.0.1:9/hook', quiet_hours='00:00-23:59')})  # type: ignore[arg-type]
        sender = Sender(quiet, now=lambda: NOW)
        held, _ = await sender.enqueue('hook', 'held', title='t', body='b', severity=Severity.WARNING)
        critical, _ = await sender.enqueue('hook', 'now', title='t', body='b', severity=Severity.CRITICAL)
        assert (await OutboxMessage.get(id=held.id)).state == MessageState.HELD
        assert (await OutboxMessage.get(id=critical.id)).severity == Severity.CRITICAL
    finally:
        await close_store()
    with sqlite3.connect(database) as db:
        indexes = [row[1] for row in db.execute('PRAGMA index_list(outbox_messages)')]
        columns = [[row[2] for row in db.execute(f'PRAGMA index_info({name})')] for name in indexes]
        applied = [row[0] for row in db.execute('SELECT name FROM tortoise_migrations ORDER BY id')]
    assert ['state', 'next_attempt_at', 'id'] in columns  # the sender's index is kept
    assert '0011_quiet_hours' in applied  # applied (later migrations, from 0012_stats_history on, follow it)
