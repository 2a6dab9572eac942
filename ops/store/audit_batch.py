"""Writing audit events in chain order: each one hashed over the one before it, a group of them in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from tortoise import connections
from tortoise.fields import JSONField

from ops.clock import utc_now
from ops.store.audit_kinds import AuditKind
from ops.store.chain_check import event_hash, fields_of
from ops.store.models import AuditEvent
from ops.store.storable import storable, storable_text

_COLUMNS = ('at', 'actor', 'origin', 'kind', 'operation', 'run_id', 'detail', 'prev_hash', 'hash')
INSERT = (
    'INSERT INTO audit_events (at, actor, origin, kind, operation, run_id, detail, prev_hash, hash) '
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
)
IDS_AFTER = 'SELECT id FROM audit_events WHERE id > ? ORDER BY id'
_DETAIL = _COLUMNS.index('detail')
_ENCODE = cast(JSONField[Any], AuditEvent._meta.fields_map['detail']).encoder  # the JSON text Tortoise stores


@dataclass(frozen=True, kw_only=True, slots=True)
class WantedEvent:
    """An audit event as asked for, before it has a place in the chain."""

    kind: AuditKind
    actor: str
    origin: str
    operation: str | None = None
    run_id: int | None = None
    detail: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # Storable before it joins a group: one caller's odd text (a lone surrogate in a sign-in's user name) or
        # number is recorded as what is hashed and stored, and cannot fail the other events of its group.
        object.__setattr__(self, 'actor', storable_text(self.actor))
        object.__setattr__(self, 'origin', storable_text(self.origin))
        if self.operation is not None:
            object.__setattr__(self, 'operation', storable_text(self.operation))
        object.__setattr__(self, 'detail', storable(self.detail or {}))


def chained(prev_hash: str, wanted: WantedEvent) -> AuditEvent:
    """The event that follows `prev_hash` (not saved yet: no id)."""
    event = AuditEvent(**_fields(wanted), prev_hash=prev_hash, hash='')
    event.hash = event_hash(prev_hash, fields_of(event))
    return event


async def insert_chained(after: int, prev_hash: str, batch: Sequence[WantedEvent]) -> list[AuditEvent]:
    """Insert `batch` after the chain's tail (event `after`, hash `prev_hash`) with one statement, inside the caller's
    transaction (which holds the write lock, so the ids after `after` are these events' own); returns them with
    their ids."""
    chain, rows = chain_rows(prev_hash, batch)
    conn = connections.get('default')
    await conn.execute_many(INSERT, rows)
    _, ids = await conn.execute_query(IDS_AFTER, [after])
    if len(ids) != len(chain):
        raise RuntimeError(f'{len(chain)} audit events written but {len(ids)} found after event #{after}')
    return [stored_event(int(row[0]), fields) for row, fields in zip(ids, chain, strict=True)]


def chain_rows(prev_hash: str, batch: Sequence[WantedEvent]) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """The stored fields of `batch` chained after `prev_hash`, and the rows INSERT takes."""
    chain: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    for wanted in batch:
        fields = _fields(wanted)
        # What fields_of(event) gives for the stored event, without building one first (the hot path of an append).
        fields['hash'] = event_hash(prev_hash, {**fields, 'at': fields['at'].isoformat()})
        fields['prev_hash'], prev_hash = prev_hash, fields['hash']
        chain.append(fields)
        rows.append([fields[name] for name in _COLUMNS])
        rows[-1][_DETAIL] = _ENCODE(fields['detail'])
    return chain, rows


def stored_event(event_id: int, fields: dict[str, Any]) -> AuditEvent:
    """The event as read back from its row (chained fields from `chain_rows`)."""
    return AuditEvent._init_from_db(id=event_id, **fields)


def _fields(wanted: WantedEvent) -> dict[str, Any]:
    """The stored fields an event's hash covers (its detail as it reads back: storable JSON, see WantedEvent)."""
    return {
        'at': utc_now(),
        'actor': wanted.actor[:128],
        'origin': wanted.origin[:32],
        'kind': wanted.kind,
        'operation': wanted.operation[:64] if wanted.operation else None,
        'run_id': wanted.run_id,
        'detail': wanted.detail,
    }
