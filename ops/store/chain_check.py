"""Checking the audit chain: the full walk (`homelab audit verify`) and the Audit page's incremental check."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ops.clock import utc_now
from ops.store.audit_kinds import AuditKind
from ops.store.chain_head import ChainHead, HeadAnchor, HeadDrop, JournalHeads
from ops.store.models import AuditEvent

GENESIS = '0' * 64
EMPTY = ChainHead(id=0, hash=GENESIS, count=0)


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """sha256 over the previous hash and a canonical JSON of the event's fields."""
    canonical = json.dumps(fields, sort_keys=True, separators=(',', ':'), default=str, ensure_ascii=False)
    return hashlib.sha256(f'{prev_hash}|{canonical}'.encode()).hexdigest()


def fields_of(event: AuditEvent) -> dict[str, Any]:
    """What an event's hash covers."""
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
class LostEvents:
    """An AuditKind.EVENTS_MISSING event (an append found the anchored head gone and wrote it first, so the loss
    stays on the record): when it was written, the newest `missing` events the anchor named were gone."""

    recorded_by: int
    missing: int
    anchored_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ChainStatus:
    """The verdict: ok, or the first event that does not fit, or the newest events missing, and why."""

    ok: bool
    checked: int  # events found intact, in order
    first_bad_id: int | None = None
    problem: str = ''
    missing: int = 0  # newest events the anchor names that the table no longer holds
    lost: tuple[LostEvents, ...] = ()  # earlier losses, recorded in the chain
    read: int = 0  # rows this check read and re-hashed
    full: bool = True  # False: only the events after the last verified one were read


async def verify_chain(batch: int = 1000, *, anchor: HeadAnchor | None = None) -> ChainStatus:
    """Walk the whole chain in id order: name the first event that was edited, removed before, or reordered;
    then compare its head with the anchor (the newest events missing or replaced), and the journal's earlier heads
    with each other (events deleted before the console anchored a shorter chain)."""
    # Read first: it names only events committed before the walk starts.
    heads = anchor.history() if anchor is not None else None
    claim = await asyncio.to_thread(anchor.newest, heads) if anchor is not None else None
    walk = _Walk(EMPTY, [])
    return await walk.run(batch) or await walk.verdict(claim, heads.drops if heads is not None else [])


class ChainWatch:
    """The Audit page's check: the first one walks the whole chain; later ones read only the events after the
    last verified one, check that one's hash again, and compare the head with the anchor. Edits further back
    are found by the full walk (`homelab audit verify`), not here: a visit costs the new events, not the trail.
    The anchor is judged as verify judges it, from the journal lines added since the last visit.
    """

    def __init__(self, anchor: HeadAnchor | None) -> None:
        self.anchor = anchor
        self._heads: JournalHeads | None = anchor.history() if anchor is not None else None
        self._verified: ChainHead | None = None
        self._lost: list[LostEvents] = []
        self._lock = asyncio.Lock()
        self.walked_at: datetime | None = None  # the last full walk

    async def check(self, batch: int = 1000) -> ChainStatus:
        async with self._lock:
            claim = await asyncio.to_thread(self.anchor.newest, self._heads) if self.anchor is not None else None
            start = self._verified
            if start is not None and await hash_of(start.id) != start.hash:
                start = None  # the last verified event itself changed: walk everything to name the first bad one
            walk = _Walk(start or EMPTY, list(self._lost) if start else [])
            drops = self._heads.drops if self._heads is not None else []
            status = await walk.run(batch) or await walk.verdict(claim, drops)
            if start is None:
                self.walked_at = utc_now()
            if status.first_bad_id is None and not status.missing:
                self._verified, self._lost = walk.head, walk.lost
            else:
                self._verified, self._lost = None, []
            return status


@dataclass(slots=True)
class _Walk:
    """Re-hash events in id order after `head`, which is already verified."""

    head: ChainHead
    lost: list[LostEvents]
    read: int = 0
    full: bool = field(init=False)

    def __post_init__(self) -> None:
        self.full = self.head.id == 0

    async def run(self, batch: int) -> ChainStatus | None:
        """The verdict when an event does not fit; None when every event after the start fits."""
        while True:
            events = await AuditEvent.filter(id__gt=self.head.id).order_by('id').limit(batch)
            if not events:
                return None
            for event in events:
                self.read += 1
                if event.prev_hash != self.head.hash:
                    return self._broken(
                        event.id, 'does not follow the event before it (an event was deleted or reordered)'
                    )
                if event_hash(self.head.hash, fields_of(event)) != event.hash:
                    return self._broken(event.id, 'was edited')
                if event.kind == AuditKind.EVENTS_MISSING:
                    self.lost.append(_lost(event))
                self.head = ChainHead(id=event.id, hash=event.hash, count=self.head.count + 1)

    async def verdict(self, claim: ChainHead | None, drops: list[HeadDrop]) -> ChainStatus:
        """Every event fits: compare the chain's head with the anchored one, then the journal's heads in order."""
        head = self.head
        if claim is not None and claim.id > head.id:
            missing = max(claim.count - head.count, 1)
            return self._status(
                ok=False,
                missing=missing,
                problem=f'{_newest(missing)} missing (the anchor names event #{claim.id}, the table ends at '
                f'#{head.id})',
            )
        if claim is not None and claim.id > 0 and await self._hash_at(claim.id) != claim.hash:
            status = self._status(
                ok=False,
                first_bad_id=claim.id,
                problem='is not the event the anchor names (the newest events were replaced)',
            )
            return replace(status, checked=max(claim.count - 1, 0))
        if self.lost:
            first = self.lost[0]
            gone = f'{_newest(first.missing, past=True)} missing' if first.missing else 'the anchored event was changed'
            return self._status(
                ok=False,
                problem=f'event #{first.recorded_by} records that {gone} when it was written (the anchor named '
                f'event #{first.anchored_id})',
            )
        for drop in drops:
            if await self._hash_at(drop.earlier.id) == drop.earlier.hash:
                continue  # the earlier head is still there: the lines were journaled out of order, nothing is gone
            return self._status(
                ok=False,
                problem=f'{_newest(drop.missing, past=True)} missing when event #{drop.later.id} was anchored (the '
                f'event journal names event #{drop.earlier.id} as event {drop.earlier.count} of the chain, then '
                f'event #{drop.later.id} as event {drop.later.count}, with no restore between)',
            )
        return self._status(ok=True)

    async def _hash_at(self, event_id: int) -> str | None:
        return self.head.hash if event_id == self.head.id else await hash_of(event_id)

    def _broken(self, event_id: int, problem: str) -> ChainStatus:
        return self._status(ok=False, first_bad_id=event_id, problem=problem)

    def _status(self, *, ok: bool, first_bad_id: int | None = None, problem: str = '', missing: int = 0) -> ChainStatus:
        return ChainStatus(
            ok=ok,
            checked=self.head.count,
            first_bad_id=first_bad_id,
            problem=problem,
            missing=missing,
            lost=tuple(self.lost),
            read=self.read,
            full=self.full,
        )


async def hash_of(event_id: int) -> str | None:
    """The stored hash of one event (GENESIS for id 0), or None when there is no such event."""
    if event_id == 0:
        return GENESIS
    found = await AuditEvent.filter(id=event_id).values_list('hash', flat=True)
    return str(found[0]) if found else None


def _lost(event: AuditEvent) -> LostEvents:
    detail: dict[str, Any] = event.detail if isinstance(event.detail, dict) else {}
    head = detail.get('anchored_head')
    anchored: dict[str, Any] = head if isinstance(head, dict) else {}
    return LostEvents(
        recorded_by=event.id, missing=int(detail.get('missing') or 0), anchored_id=int(anchored.get('id') or 0)
    )


def _newest(count: int, *, past: bool = False) -> str:
    """'the newest 3 audit events are' / 'the newest audit event was'."""
    if count == 1:
        return 'the newest audit event ' + ('was' if past else 'is')
    return f'the newest {count} audit events ' + ('were' if past else 'are')
