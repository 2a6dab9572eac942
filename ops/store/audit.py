"""The audit trail: append-only, each event carrying the hash of the one before it (tamper-evident)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from ops.bus import Event
from ops.store.audit_batch import WantedEvent, chained, insert_chained
from ops.store.audit_group import (
    Written,
    count_up_to,
    in_store_thread,
    mark_committed,
    write_group,
    write_transaction,
)
from ops.store.audit_kinds import AuditKind
from ops.store.chain_check import EMPTY
from ops.store.chain_head import AnchorLocked, ChainHead, HeadAnchor
from ops.store.models import AuditEvent

log = logging.getLogger(__name__)

# A write to the audit table that changes nothing: SQLite's write lock at the start of a transaction (Tortoise
# only says BEGIN, and a read that turns into a write fails at once when another process wrote in between).
_TAKE_WRITE_LOCK = 'UPDATE audit_events SET id = id WHERE 0'
_TAIL = 'SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1'
# The most events one commit takes; more waiting go in the next one.
MAX_BATCH = 1000


class AuditUnavailable(Exception):
    """The audit event could not be written (read-only or full database, I/O error). `shared`: it failed with
    other appends in one group (worth one try alone)."""

    def __init__(self, reason: str, *, shared: bool = False) -> None:
        super().__init__(reason)
        self.shared = shared


# A database write that goes in the same transaction as its event, before it; returns the run id the event names.
Change = Callable[[], Awaitable[int | None]]


@dataclass(eq=False, slots=True)
class _Queued:
    """An append waiting for its group's commit."""

    wanted: WantedEvent
    done: asyncio.Future[AuditEvent]
    change: Change | None = None

    async def made(self) -> WantedEvent:
        """The event, after its change is written (in the group's transaction)."""
        if self.change is None:
            return self.wanted
        return replace(self.wanted, run_id=await self.change())


class AuditLog:
    """Appends are serialised so the chain stays linear; an append returns once its event is durable.

    Group commit: the appends waiting while one group is written go together in the next one (one transaction, one
    fsync, one anchor write), in the order they were asked for; each returns its own event once that commit and its
    anchor are done (also when the writer is cancelled once the group is committed). When the group cannot be written,
    none of its events is in the table: for the store's reason (full, read-only, locked) every one of them gets
    AuditUnavailable; for one member's (its change fails) each is written alone, and only that one is refused. Every
    event is made storable before it joins a group (WantedEvent), so no caller's text or numbers can fail it.
    With an anchor (the console's and the CLI's), appends of every process on one data
    directory are serialised by the anchor's file lock, and each commit is followed by anchoring the new head
    outside the table; an append that finds the anchored head gone first records that loss (AuditKind.EVENTS_MISSING).
    `appended` tells this process's listeners (the Audit page) of each event once it is committed.
    """

    def __init__(self, anchor: HeadAnchor | None = None) -> None:
        self.anchor = anchor
        self._lock = asyncio.Lock()
        self._queue: list[_Queued] = []
        self._writer: asyncio.Task[None] | None = None
        self.groups_written = 0  # commits of queued appends (how many appends share a commit)
        self.appended: Event[AuditEvent] = Event()  # each event of this process, once it is committed

    async def append(
        self,
        kind: AuditKind,
        *,
        actor: str,
        origin: str,
        operation: str | None = None,
        run_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Write one event (returned once durable); AuditUnavailable when it cannot be written."""
        wanted = WantedEvent(kind=kind, actor=actor, origin=origin, operation=operation, run_id=run_id, detail=detail)
        return await self._queued(_Queued(wanted, asyncio.get_running_loop().create_future()))

    async def append_after(
        self,
        change: Change,
        kind: AuditKind,
        *,
        actor: str,
        origin: str,
        operation: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """`change` (a run's row, say; it returns the run id the event names) and the event in one transaction, with
        the appends waiting beside it: both are durable when this returns, or neither is written (AuditUnavailable,
        also when `change` fails)."""
        wanted = WantedEvent(kind=kind, actor=actor, origin=origin, operation=operation, detail=detail)
        return await self._queued(_Queued(wanted, asyncio.get_running_loop().create_future(), change))

    async def _queued(self, queued: _Queued) -> AuditEvent:
        self._queue.append(queued)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name='audit-writer')
        # Shielded: once queued, an event is written with its group (or fails with it) even if its caller is cancelled.
        return await asyncio.shield(queued.done)

    @contextlib.asynccontextmanager
    async def recording(
        self, kind: AuditKind, *, actor: str, origin: str, detail: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """The block's database changes and this event commit as one transaction: both, or neither.

        The block may add to `detail` (never a secret). An error of the block rolls back and passes through;
        a failure to write the event rolls the block's changes back and raises AuditUnavailable.
        """
        stage = 'start'
        async with self._serialised():
            try:
                async with in_transaction() as conn:
                    await conn.execute_query(_TAKE_WRITE_LOCK)
                    stage = 'change'
                    yield detail
                    stage = 'record'
                    event, count = await self._write(WantedEvent(kind=kind, actor=actor, origin=origin, detail=detail))
            except Exception as err:
                if stage == 'change':
                    raise
                raise AuditUnavailable(f'the audit trail cannot be written: {err}') from err
            await self._anchor(event, count, 'append')
        self.appended.emit(event)

    async def append_restored(self, *, actor: str, origin: str, detail: dict[str, Any]) -> AuditEvent:
        """Record a database restore at the end of the restored chain, and anchor that chain's head instead of the
        replaced one (restore-db's own, expected, rewind; the replaced head goes into the event)."""
        async with self._serialised():
            try:
                replaced = await self._claim()
                if replaced is not None:
                    detail = {**detail, 'replaced_head': {'id': replaced.id, 'count': replaced.count}}
                tail = await _tail()
                tail = ChainHead(id=tail.id, hash=tail.hash, count=await AuditEvent.all().count())
                event = await _insert(
                    tail.hash, WantedEvent(kind=AuditKind.DB_RESTORED, actor=actor, origin=origin, detail=detail)
                )
            except Exception as err:
                raise AuditUnavailable(f'the audit trail cannot be written: {err}') from err
            await self._anchor(event, tail.count + 1, 'restore')
        self.appended.emit(event)
        return event

    async def _write_queued(self) -> None:
        """Write what is queued, a group at a time, until the queue is empty."""
        group: list[_Queued] = []
        try:
            while self._queue:
                group, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    await self._append_group(group)
                except AuditUnavailable as err:
                    if len(group) == 1 or not _member_failed(err):
                        _fail(group, str(err), shared=len(group) > 1)
                        continue
                    # Tied to one member (its change, say): the others are not refused for it; each goes alone.
                    for queued in group:
                        try:
                            await self._append_group([queued])
                        except AuditUnavailable as alone:
                            _fail([queued], str(alone))
        finally:  # cancelled (the loop closing): nobody waits for ever
            _fail(group + self._queue, 'the audit writer stopped')
            self._queue = []

    async def _append_group(self, group: list[_Queued]) -> None:
        """Write `group` in one transaction and give each member its event (also when cancelled once committed)."""
        async with self._serialised():
            written: Written | None = None
            try:
                # The anchored head is read in the store's thread once the write lock is taken (one round trip).
                async with write_transaction(self._claimed) as (conn, claim):
                    wanted = [await queued.made() for queued in group]
                    # Tail, chain, insert, COMMIT and anchor in one round trip to the store's thread.
                    step = asyncio.ensure_future(in_store_thread(conn, write_group, wanted, claim, self.anchor))
                    try:
                        written = await asyncio.shield(step)
                    except asyncio.CancelledError:  # it runs on regardless: once committed, its events are theirs
                        with contextlib.suppress(Exception):
                            written = await step
                        if written is not None:
                            mark_committed(conn)
                            self._deliver(group, written.events)
                        raise
                    if written is not None:
                        mark_committed(conn)
                    else:  # the anchored head is gone: the loss is recorded first, the slower way
                        events, count = await self._write_many(wanted, _ready(claim))
            except Exception as err:
                raise AuditUnavailable(f'the audit trail cannot be written: {err}') from err
            if written is None:
                anchoring = asyncio.ensure_future(self._anchor(events[-1], count, 'append'))
                try:
                    await asyncio.shield(anchoring)
                except asyncio.CancelledError:  # committed: the events are theirs, the anchor goes on
                    self._deliver(group, events)
                    raise
            elif written.anchor_error is not None:
                self._anchor_failed(written.events[-1], written.anchor_error)
        self.groups_written += 1
        self._deliver(group, events if written is None else written.events)

    def _deliver(self, group: list[_Queued], events: list[AuditEvent]) -> None:
        """Each member gets its committed event; this process's listeners hear of each."""
        for event in events:
            self.appended.emit(event)
        for queued, event in zip(group, events, strict=True):
            if not queued.done.done():
                queued.done.set_result(event)

    @contextlib.asynccontextmanager
    async def _serialised(self) -> AsyncIterator[None]:
        async with self._lock:
            if self.anchor is None:
                yield
                return
            try:
                async with self.anchor.held():
                    yield
            except AnchorLocked as err:
                raise AuditUnavailable(f'the audit trail cannot be written: {err}') from err

    async def _write(self, wanted: WantedEvent) -> tuple[AuditEvent, int]:
        """One event in the caller's transaction (see `_write_many`)."""
        events, count = await self._write_many([wanted])
        return events[0], count

    async def _write_many(
        self, group: list[WantedEvent], claimed: Awaitable[ChainHead | None] | None = None
    ) -> tuple[list[AuditEvent], int]:
        """Insert the events after the chain's tail (read again every time: another process may have appended), in
        the caller's transaction; returns them with the number of events the table holds now. `claimed`: the
        anchored head, being read already (else it is read here)."""
        tail = await _tail()
        if self.anchor is None:
            return await insert_chained(tail.id, tail.hash, group), 0  # nothing to anchor, so no need to count
        claim = await (claimed if claimed is not None else self._claim())
        count = await in_store_thread(connections.get('default'), count_up_to, tail, claim)
        if count is None:  # the anchored head is not in the table as anchored
            assert claim is not None
            count = await AuditEvent.all().count()
            loss = WantedEvent(
                kind=AuditKind.EVENTS_MISSING,
                actor='homelab',
                origin='audit',
                detail={
                    'missing': max(claim.count - count, 0),
                    'anchored_head': {'id': claim.id, 'hash': claim.hash, 'count': claim.count},
                    'table_head': {'id': tail.id, 'count': count},
                },
            )
            found = await _insert(tail.hash, loss)
            tail, count = ChainHead(id=found.id, hash=found.hash, count=count + 1), count + 1
        return await insert_chained(tail.id, tail.hash, group), count + len(group)

    def _claimed(self) -> ChainHead | None:
        """The anchored head (see `_claim`), read where the caller is (the store's thread)."""
        return self.anchor.newest() if self.anchor is not None else None

    async def _claim(self) -> ChainHead | None:
        if self.anchor is None:
            return None
        # The longer of the state file and the journal's last head (read from its file's end): a state file rewritten
        # to name a shorter chain does not make the deletion before it look like the normal state.
        return await asyncio.to_thread(self.anchor.newest)

    async def _anchor(self, event: AuditEvent, count: int, reason: str) -> None:
        """After the commit: an anchor may lag the table by the events of a crash, never name an uncommitted one.
        (Its fsync runs beside the event loop, like SQLite's.)"""
        if self.anchor is None:
            return
        head = ChainHead(id=event.id, hash=event.hash, count=count)
        try:
            await asyncio.to_thread(self.anchor.write, head, reason=reason)
        except OSError as err:
            self._anchor_failed(event, err)

    def _anchor_failed(self, event: AuditEvent, err: Exception) -> None:
        # The event is committed, so it is on the record and the change it records stands; only the anchor
        # lags (the next append anchors past it, and verify takes events after an anchored one as newer).
        path = self.anchor.path if self.anchor is not None else None
        log.error('audit event #%d is written but its head is not anchored in %s: %s', event.id, path, err)


async def _ready(head: ChainHead | None) -> ChainHead | None:
    return head


async def _tail() -> ChainHead:
    """The newest event's id and hash (count unknown here: 0)."""
    _, rows = await connections.get('default').execute_query(_TAIL)
    if not rows:
        return EMPTY
    return ChainHead(id=int(rows[0][0]), hash=str(rows[0][1]), count=0)


async def _insert(prev_hash: str, wanted: WantedEvent) -> AuditEvent:
    event = chained(prev_hash, wanted)
    await event.save()
    return event


def _member_failed(err: AuditUnavailable) -> bool:
    """Whether a group failed for something of its own members (their data, a change's row), not the store's: a
    locked, full, read-only or failing database, the anchor's lock or file."""
    cause = err.__cause__
    if isinstance(cause, sqlite3.OperationalError | OSError | AnchorLocked):
        return False
    return not isinstance(cause, OperationalError) or isinstance(cause, IntegrityError)


def _fail(group: list[_Queued], reason: str, *, shared: bool = False) -> None:
    """Every append of a group that was not written gets its own AuditUnavailable."""
    for queued in group:
        if not queued.done.done():
            queued.done.set_exception(AuditUnavailable(reason, shared=shared))
