"""The audit trail: append-only, each event carrying the hash of the one before it (tamper-evident)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops.store.models import AuditEvent

GENESIS = '0' * 64


class AuditUnavailable(Exception):
    """The audit event could not be written (read-only or full database, I/O error)."""


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """sha256 over the previous hash and a canonical JSON of the event's fields."""
    canonical = json.dumps(fields, sort_keys=True, separators=(',', ':'), default=str, ensure_ascii=False)
    return hashlib.sha256(f'{prev_hash}|{canonical}'.encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        'at': event.at.astimezone(UTC).isoformat(),
        'actor': event.actor,
        'origin': event.origin,
        'kind': event.kind,
        'operation': event.operation,
        'run_id': event.run_id,
        'detail': event.detail,
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class ChainStatus:
    """The result of verifying the chain: ok, or the first event that does not fit and why."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ''


class AuditLog:
    """Appends are serialised so the chain stays linear; every append is one durable commit."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._tail: str | None = None

    async def append(
        self,
        kind: str,
        *,
        actor: str,
        origin: str,
        operation: str | None = None,
        run_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        async with self._lock:
            try:
                # The tail is read again every time: the CLI (another process) may have appended meanwhile.
                last = await AuditEvent.all().order_by('-id').first()
                self._tail = last.hash if last is not None else GENESIS
                event = AuditEvent(
                    at=datetime.now(UTC),
                    actor=actor[:128],
                    origin=origin[:32],
                    kind=kind,
                    operation=operation[:64] if operation else None,
                    run_id=run_id,
                    detail=json.loads(json.dumps(detail or {}, default=str)),
                    prev_hash=self._tail,
                    hash='',
                )
                event.hash = event_hash(self._tail, _fields(event))
                await event.save()
            except Exception as err:
                self._tail = None  # re-read the tail next time: the failed row may or may not exist
                raise AuditUnavailable(f'the audit trail cannot be written: {err}') from err
            self._tail = event.hash
            return event


async def verify_chain(batch: int = 1000) -> ChainStatus:
    """Walk the chain in id order; name the first event that was edited, removed before, or reordered."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        events = await AuditEvent.filter(id__gt=last_id).order_by('id').limit(batch)
        if not events:
            return ChainStatus(ok=True, checked=checked)
        for event in events:
            if event.prev_hash != prev:
                return ChainStatus(
                    ok=False,
                    checked=checked,
                    first_bad_id=event.id,
                    problem='does not follow the event before it (an event was deleted or reordered)',
                )
            if event_hash(prev, _fields(event)) != event.hash:
                return ChainStatus(ok=False, checked=checked, first_bad_id=event.id, problem='was edited')
            prev = event.hash
            checked += 1
            last_id = event.id
