"""Run and audit history for people: one run with its audit events, and audit exports (CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ops.store.models import AuditEvent, Run
from ops.store.queries import MAX_PAGE, HistoryFilter, audit_page

EXPORT_LIMIT = 100_000  # an export is a download, not a backup: the newest this many events of the filter
AUDIT_FIELDS = ('id', 'at', 'kind', 'operation', 'run_id', 'actor', 'origin', 'detail', 'prev_hash', 'hash')
_FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


async def run_by_id(run_id: int) -> Run | None:
    """One run, or None when there is no such run."""
    return await Run.get_or_none(id=run_id)


async def audit_of_run(run_id: int, limit: int = 200) -> list[AuditEvent]:
    """The audit events of one run, oldest first."""
    page = await audit_page(limit=limit, where=HistoryFilter(run_id=run_id))
    return list(reversed(page.rows))


async def audit_for_export(where: HistoryFilter, limit: int = EXPORT_LIMIT) -> list[AuditEvent]:
    """The events matching the filter, newest first, walked page by page along the keyset (no OFFSET)."""
    events: list[AuditEvent] = []
    before: int | None = None
    while len(events) < limit:
        page = await audit_page(before=before, limit=min(MAX_PAGE, limit - len(events)), where=where)
        events.extend(page.rows)
        if page.next_before is None:
            break
        before = page.next_before
    return events


def audit_record(event: AuditEvent) -> dict[str, Any]:
    """An audit event as plain JSON-ready values."""
    return {
        'id': event.id,
        'at': event.at.isoformat(),
        'kind': event.kind,
        'operation': event.operation,
        'run_id': event.run_id,
        'actor': event.actor,
        'origin': event.origin,
        'detail': event.detail,
        'prev_hash': event.prev_hash,
        'hash': event.hash,
    }


def audit_json(events: list[AuditEvent]) -> str:
    """The events as a pretty JSON array."""
    return json.dumps([audit_record(event) for event in events], indent=2, ensure_ascii=False, default=str)


def audit_csv(events: list[AuditEvent]) -> str:
    """The events as CSV; a cell a spreadsheet would read as a formula is prefixed with an apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_FIELDS)
    for event in events:
        record = audit_record(event)
        record['detail'] = json.dumps(record['detail'], ensure_ascii=False, sort_keys=True, default=str)
        writer.writerow([csv_cell(record[name]) for name in AUDIT_FIELDS])
    return buffer.getvalue()


def csv_cell(value: object) -> str:
    """Text for one CSV cell, neutralised against formula injection (= + - @ at the start)."""
    text = '' if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
