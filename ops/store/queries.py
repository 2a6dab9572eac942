"""History queries with keyset pagination (newest first): a page costs the same at any depth, no COUNT(*)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from ops.runs import RunState
from ops.store.models import AuditEvent, Run

M = TypeVar('M', bound=Model)
MAX_PAGE = 500


@dataclass(frozen=True, kw_only=True, slots=True)
class Page(Generic[M]):
    """One page of rows, newest first; `next_before` is the cursor of the following page (None at the end)."""

    rows: list[M]
    next_before: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryFilter:
    operation: str | None = None
    state: RunState | None = None
    actor: str | None = None
    kind: str | None = None
    run_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


async def runs_page(*, before: int | None = None, limit: int = 50, where: HistoryFilter | None = None) -> Page[Run]:
    f = where or HistoryFilter()
    conditions = _time_range('created_at', f) | _present(operation=f.operation, state=f.state, actor=f.actor)
    return await keyset_page(Run.filter(**conditions), before, limit)


async def audit_page(
    *, before: int | None = None, limit: int = 50, where: HistoryFilter | None = None
) -> Page[AuditEvent]:
    f = where or HistoryFilter()
    conditions = _time_range('at', f) | _present(operation=f.operation, actor=f.actor, kind=f.kind)
    if f.run_id is not None:
        conditions['run_id'] = f.run_id
    return await keyset_page(AuditEvent.filter(**conditions), before, limit)


def _present(**values: str | RunState | None) -> dict[str, object]:
    """Only the filters that are set (an empty text means 'any')."""
    return {name: value for name, value in values.items() if value}


def _time_range(column: str, f: HistoryFilter) -> dict[str, object]:
    bounds: dict[str, object] = {}
    if f.since:
        bounds[f'{column}__gte'] = f.since
    if f.until:
        bounds[f'{column}__lt'] = f.until
    return bounds


async def keyset_page(query: QuerySet[M], before: int | None, limit: int) -> Page[M]:
    """One page of `query`, newest first: rows older than `before` (by id), at most `limit` (up to MAX_PAGE)."""
    limit = max(1, min(limit, MAX_PAGE))
    if before is not None:
        query = query.filter(id__lt=before)
    rows = await query.order_by('-id').limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows=rows, next_before=int(rows[-1].pk) if more and rows else None)
