"""Writing audit events in chain order: each one hashed over the one before it, a group of them in one statement."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise import connections

from ops.clock import utc_now
from ops.store.audit_kinds import AuditKind
from ops.store.chain_check import event_hash, fields_of
from ops.store.models import AuditEvent

_COLUMNS = ('at', 'actor', 'origin', 'kind', 'operation', 'run_id', 'detail', 'prev_hash', 'hash')
_INSERT = (
    'INSERT INTO audit_events (at, actor, origin, kind, operation, run_id, detail, prev_hash, hash) '
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
)
_IDS_AFTER = 'SELECT id FROM audit_events WHERE id > ? ORDER BY id'
_FIELDS = AuditEvent._meta.fields_map


@dataclass(frozen=True, kw_only=True, slots=True)
class WantedEvent:
    """An audit event as asked for, before it has a place in the chain."""

    kind: AuditKind
    actor: str
    origin: str
    operation: str | None = None
    run_id: int | None = None
    detail: dict[str, Any] | None = None


def chained(prev_hash: str, wanted: WantedEvent) -> AuditEvent:
    """The event that follows `prev_hash` (not saved yet: no id)."""
    event = AuditEvent(
        at=utc_now(),
        actor=wanted.actor[:128],
        origin=wanted.origin[:32],
        kind=wanted.kind,
        operation=wanted.operation[:64] if wanted.operation else None,
        run_id=wanted.run_id,
        detail=json.loads(json.dumps(wanted.detail or {}, default=str)),
        prev_hash=prev_hash,
        hash='',
    )
    event.hash = event_hash(prev_hash, fields_of(event))
    return event


async def insert_chained(after: int, prev_hash: str, batch: Sequence[WantedEvent]) -> list[AuditEvent]:
    """Insert `batch` after the chain's tail (event `after`, hash `prev_hash`) with one statement, inside the caller's
    transaction (which holds the write lock, so the ids after `after` are these events' own); returns them with
    their ids."""
    events: list[AuditEvent] = []
    for wanted in batch:
        event = chained(prev_hash, wanted)
        prev_hash = event.hash
        events.append(event)
    conn = connections.get('default')
    rows = [[_FIELDS[name].to_db_value(getattr(event, name), AuditEvent) for name in _COLUMNS] for event in events]
    await conn.execute_many(_INSERT, rows)
    _, ids = await conn.execute_query(_IDS_AFTER, [after])
    if len(ids) != len(events):
        raise RuntimeError(f'{len(events)} audit events written but {len(ids)} found after event #{after}')
    for event, row in zip(events, ids, strict=True):
        event.id = int(row[0])
        event._saved_in_db = True
    return events
