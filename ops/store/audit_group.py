"""One group of audit events written in the store connection's own thread: tail, chain, insert, commit, anchor."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast

import aiosqlite
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper
from tortoise.connection import get_connections

from ops.store.audit_batch import IDS_AFTER, INSERT, WantedEvent, chain_rows, stored_event
from ops.store.chain_check import EMPTY
from ops.store.chain_head import ChainHead, HeadAnchor

T = TypeVar('T')

_TAIL = 'SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1'
_COUNT = 'SELECT COUNT(*) FROM audit_events'
_COUNT_AFTER = 'SELECT COUNT(*) FROM audit_events WHERE id > ?'
_HASH_OF = 'SELECT hash FROM audit_events WHERE id = ?'
# Stages the anchor's state file while the store's thread commits (one at a time: appenders hold the anchor lock).
_STAGING = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix='audit-anchor')


@dataclass(frozen=True, slots=True)
class Written:
    """A group committed (and anchored, unless `anchor_error` says why not)."""

    events: list[Any]  # AuditEvent, with ids
    count: int  # events in the table up to the last one (0 without an anchor)
    anchor_error: Exception | None


async def in_store_thread(conn: BaseDBAsyncClient, call: Callable[..., T], *args: Any) -> T:
    """`call(sqlite3_connection, *args)` in the thread of `conn` (a transaction of the store), in one round trip
    instead of one per statement; it runs between the transaction's other statements, as any of them would."""
    inner = getattr(conn, '_connection', None)
    if not isinstance(inner, aiosqlite.Connection):
        raise RuntimeError(f'not an SQLite connection of the store: {conn!r}')
    run = cast(Callable[[Callable[[], T]], Any], inner._execute)
    return cast(T, await run(partial(_with_connection, inner, call, args)))


@contextlib.asynccontextmanager
async def write_transaction(first: Callable[[], T]) -> AsyncIterator[tuple[BaseDBAsyncClient, T]]:
    """A transaction of the store that holds SQLite's write lock from its start (BEGIN IMMEDIATE: a read that
    turns into a write cannot fail because another process wrote in between), begun in one round trip to the
    store's thread that also calls `first` there (after the lock is taken); yields the transaction (Tortoise
    queries inside the block run in it) and what `first` returned. Commits when the block ends, unless it did
    (`mark_committed`); rolls back on an error. Other users of the store wait for it, as for Tortoise's own."""
    client = connections.get('default')
    if not isinstance(client, SqliteClient):
        raise RuntimeError(f'not the SQLite store: {client!r}')
    async with client._lock:
        if client._connection is None:
            await client.create_connection(with_db=True)
        conn = SqliteTransactionWrapper(client)
        begun = asyncio.ensure_future(in_store_thread(conn, _begin, first))
        try:
            found = await asyncio.shield(begun)
        except asyncio.CancelledError:  # the BEGIN may run anyway: it must not leave the connection in a transaction
            with contextlib.suppress(Exception):
                await begun
                await conn.rollback()
            raise
        token = get_connections().set(client.connection_name, conn)
        try:
            yield conn, found
        except BaseException:
            if not conn._finalized:
                await conn.rollback()
            raise
        else:
            if not conn._finalized:
                await conn.commit()
        finally:
            get_connections().reset(token)


def mark_committed(conn: BaseDBAsyncClient) -> None:
    """Tell the transaction `conn` that its COMMIT ran already (in the store's thread): leaving it commits nothing."""
    if not hasattr(conn, '_finalized'):
        raise RuntimeError(f'not a transaction of the store: {conn!r}')
    conn._finalized = True


def write_group(
    db: sqlite3.Connection, group: Sequence[WantedEvent], claim: ChainHead | None, anchor: HeadAnchor | None
) -> Written | None:
    """In the open transaction (it holds the write lock): chain `group` after the tail, insert it, COMMIT, then
    anchor the new head (after the commit, so the anchor never names an uncommitted event). None, with nothing
    written, when the anchored head is not in the table as anchored (the caller records that loss first)."""
    row = db.execute(_TAIL).fetchone()
    tail = EMPTY if row is None else ChainHead(id=int(row[0]), hash=str(row[1]), count=0)
    count = 0
    if anchor is not None:
        found = count_up_to(db, tail, claim)
        if found is None:
            return None
        count = found
    chain, rows = chain_rows(tail.hash, group)
    db.executemany(INSERT, rows)
    ids = db.execute(IDS_AFTER, (tail.id,)).fetchall()
    if len(ids) != len(chain):
        raise RuntimeError(f'{len(chain)} audit events written but {len(ids)} found after event #{tail.id}')
    events = [stored_event(int(row[0]), fields) for row, fields in zip(ids, chain, strict=True)]
    count += len(events)
    if anchor is None:
        db.execute('COMMIT')
        return Written(events, 0, None)
    head = ChainHead(id=events[-1].id, hash=events[-1].hash, count=count)
    # The staged state file's fsync runs beside the commit's; it becomes the anchor only once the commit is done.
    staged = _STAGING.submit(anchor.stage, head)
    try:
        db.execute('COMMIT')
    finally:
        concurrent.futures.wait([staged])  # never two stagings at once, nor one left behind a failed commit
    try:
        anchor.publish(staged.result(), head, reason='append')
    except Exception as err:  # committed: the events stand, only the anchor lags (the caller logs it)
        return Written(events, count, err)
    return Written(events, count, None)


def count_up_to(db: sqlite3.Connection, tail: ChainHead, claim: ChainHead | None) -> int | None:
    """How many events the table holds, cheaply from the anchor; None when the anchored head is gone or changed.
    (In the store's thread: the group's write and, through in_store_thread, the slower path's.)"""
    if claim is None:
        return int(db.execute(_COUNT).fetchone()[0])  # never anchored: once
    if claim.id == 0:
        return int(db.execute(_COUNT).fetchone()[0]) if claim.count == 0 else None
    if claim.id == tail.id:
        return claim.count if claim.hash == tail.hash else None
    if claim.id > tail.id:
        return None
    # The anchor lags (a crash between a commit and its anchor): fine while the anchored event is still there.
    found = db.execute(_HASH_OF, (claim.id,)).fetchone()
    if found is None or str(found[0]) != claim.hash:
        return None
    return claim.count + int(db.execute(_COUNT_AFTER, (claim.id,)).fetchone()[0])


def _begin(db: sqlite3.Connection, first: Callable[[], T]) -> T:
    if db.in_transaction:  # as Tortoise's begin: what an earlier statement left open is committed first
        db.commit()
    db.execute('BEGIN IMMEDIATE')
    try:
        return first()
    except BaseException:
        db.rollback()
        raise


def _with_connection(inner: aiosqlite.Connection, call: Callable[..., T], args: tuple[Any, ...]) -> T:
    return call(inner._conn, *args)
