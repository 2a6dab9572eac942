"""B6 history at depth: keyset page fetch (runs_page / audit_page) at depth 1, 1k, 10k, 100k vs OFFSET.

A temp database is created by open_store (so the schema and indexes are the real ones), then filled with
synthetic runs and audit events by raw sqlite3 executemany. Both methods go through Tortoise, newest first,
50 rows a page (+1 to know whether there is a next page), unfiltered and with one indexed filter.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise.backends.sqlite.client import SqliteClient

from bench.common import Report, env_int, ms, percentile, stopwatch
from ops.runs import RunState
from ops.store.db import close_store, open_store
from ops.store.models import AuditEvent, Run
from ops.store.queries import HistoryFilter, audit_page, runs_page

ID = 'B6'
TITLE = 'history: keyset page fetch at depth 1, 1k, 10k, 100k vs OFFSET'
DEPTHS = (1, 1_000, 10_000, 100_000)
PAGE = 50
OPERATIONS = ('docker_status', 'docker_restart', 'docker_logs', 'docker_pull', 'host_disk_report', 'backup_run')
STATES = ('succeeded',) * 16 + ('failed',) * 2 + ('rejected', 'cancelled')
KINDS = ('requested', 'finished', 'finished', 'finished', 'rejected', 'login')
ACTORS = ('ui:admin', 'ui:alice', 'cli:root', 'api:homepage', 'supervisor')


def run() -> Report:
    return asyncio.run(_run())


async def _run() -> Report:
    report = Report(
        id=ID,
        title=TITLE,
        baseline='OFFSET pagination (same ORM, same table, same order)',
        target='keyset p95 < 10 ms at every depth; no COUNT(*) scan on the hot path',
    )
    rows = env_int('BENCH_B6_ROWS', 500_000)
    reps = env_int('BENCH_B6_REPS', 40)
    with tempfile.TemporaryDirectory(prefix='hl-bench-') as tmp:
        path = Path(tmp) / 'homelab.sqlite3'
        await open_store(path)
        await close_store()
        with stopwatch() as fill:
            _fill(path, rows)
        report.add('synthetic runs and audit events (each table)', rows, 'rows')
        report.add('fill time (raw executemany, both tables)', round(fill[0], 1), 's')
        await open_store(path)
        try:
            worst_keyset, deepest_offset, deepest_keyset = 0.0, 0.0, 0.0
            for table, filt in (
                ('runs', None),
                ('runs', 'state=succeeded'),
                ('audit', None),
                ('audit', 'kind=finished'),
            ):
                label = table + (f' [{filt}]' if filt else '')
                ids = _ids_newest_first(path, table, filt, max(DEPTHS))
                for depth in DEPTHS:
                    if depth > len(ids):
                        report.note(f'{label}: only {len(ids)} rows match, depth {depth} skipped')
                        continue
                    keyset, offset = _calls(table, filt, ids, depth)
                    k_times, o_times = await _time_pair(keyset, offset, reps)
                    k95, o95 = percentile(k_times, 95), percentile(o_times, 95)
                    point = f'{label} depth {depth:>7,}'
                    report.add(f'{point}: keyset p50', ms(percentile(k_times, 50)), 'ms')
                    report.add(f'{point}: keyset p95', ms(k95), 'ms')
                    report.add(f'{point}: OFFSET p50', ms(percentile(o_times, 50)), 'ms', show=False)
                    report.add(f'{point}: OFFSET p95', ms(o95), 'ms')
                    worst_keyset = max(worst_keyset, k95)
                    if depth == max(DEPTHS) and filt is None and table == 'runs':
                        deepest_offset, deepest_keyset = o95, k95
            report.add('worst keyset p95 over every table, filter and depth', ms(worst_keyset), 'ms')
            sql = await _captured_sql(lambda: runs_page(before=_cursor_10k(path), limit=PAGE))
            counted = any('COUNT(' in query.upper() for query, _ in sql)
            report.add('COUNT( in the SQL of a runs_page call', 'yes' if counted else 'no')
            for plan in _plans(path, sql):
                report.add('runs_page query plan', plan)
        finally:
            await close_store()
    ratio = round(deepest_keyset / deepest_offset, 4) if deepest_offset > 0 else None
    return report.finish(
        ratio,
        'runs p95 at depth 100k, keyset / OFFSET',
        figure=f'keyset p95 <= {ms(worst_keyset):.1f} ms at every depth; COUNT(*) on the hot path: {counted}',
        met=worst_keyset < 0.010 and not counted,
    )


def _calls(
    table: str, filt: str | None, ids: list[int], depth: int
) -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]:
    """The keyset call (the project's own runs_page/audit_page) and its OFFSET twin, for one depth."""
    skip = depth - 1
    before = None if skip == 0 else ids[skip - 1]  # the cursor a client holds after `skip` rows
    where = HistoryFilter(state=RunState.SUCCEEDED) if filt == 'state=succeeded' else None
    if filt == 'kind=finished':
        where = HistoryFilter(kind='finished')
    model: Any = Run if table == 'runs' else AuditEvent
    conditions = {'state': 'succeeded'} if table == 'runs' and filt else ({'kind': 'finished'} if filt else {})

    async def keyset() -> Any:
        if table == 'runs':
            return await runs_page(before=before, limit=PAGE, where=where)
        return await audit_page(before=before, limit=PAGE, where=where)

    async def offset() -> Any:
        return await model.filter(**conditions).order_by('-id').offset(skip).limit(PAGE + 1)

    return keyset, offset


async def _time_pair(
    first: Callable[[], Awaitable[Any]], second: Callable[[], Awaitable[Any]], reps: int
) -> tuple[list[float], list[float]]:
    """Wall times of two calls made in turn (noise from a shared machine hits both), after one warm-up each."""
    await first()
    await second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(reps):
        for call, into in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            await call()
            into.append(time.perf_counter() - start)
    return times


def _cursor_10k(path: Path) -> int:
    """A cursor 10k rows deep into runs, or the oldest run of a smaller table (for the captured SQL and its plan)."""
    with sqlite3.connect(path) as db:
        row = db.execute('SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET 10000').fetchone()
        row = row or db.execute('SELECT MIN(id) FROM runs').fetchone()
    return int(row[0])


def _ids_newest_first(path: Path, table: str, filt: str | None, limit: int) -> list[int]:
    name = 'runs' if table == 'runs' else 'audit_events'
    where = ''
    if filt:
        column, value = filt.split('=')
        where = f" WHERE {column} = '{value}'"
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute(f'SELECT id FROM {name}{where} ORDER BY id DESC LIMIT ?', (limit + 1,))]


async def _captured_sql(call: Callable[[], Awaitable[Any]]) -> list[tuple[str, list[Any]]]:
    """The SQL statements (with values) one call sends to SQLite."""
    seen: list[tuple[str, list[Any]]] = []
    original = SqliteClient.execute_query

    async def spy(self: SqliteClient, query: str, values: list[Any] | None = None) -> Any:
        seen.append((query, list(values or [])))
        return await original(self, query, values)

    SqliteClient.execute_query = spy  # type: ignore[method-assign]
    try:
        await call()
    finally:
        SqliteClient.execute_query = original  # type: ignore[method-assign]
    return seen


def _plans(path: Path, statements: list[tuple[str, list[Any]]]) -> list[str]:
    with sqlite3.connect(path) as db:
        return [
            '; '.join(str(row[-1]) for row in db.execute(f'EXPLAIN QUERY PLAN {query}', values))
            for query, values in statements
        ]


def _fill(path: Path, rows: int) -> None:
    rng = random.Random(6)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    db = sqlite3.connect(path)
    try:
        # Only the fill is fast and loose; the measurement runs on the store as open_store() opens it (WAL, FULL).
        db.execute('PRAGMA journal_mode=OFF')
        db.execute('PRAGMA synchronous=OFF')
        db.execute('PRAGMA cache_size=-262144')
        # The real indexes (as the migrations made them) are dropped for the bulk insert and built again after.
        indexes = [
            (name, sql)
            for name, sql in db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('runs', 'audit_events')"
            )
        ]
        with db:
            for name, _ in indexes:
                db.execute(f'DROP INDEX "{name}"')
            db.executemany(
                'INSERT INTO runs (operation, params, actor, origin, state, created_at, started_at, finished_at, '
                'error, result, output, dropped_lines, joined_run_id, owner) '
                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                _runs(rng, start, rows),
            )
            db.executemany(
                'INSERT INTO audit_events (at, actor, origin, kind, operation, run_id, detail, prev_hash, hash) '
                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                _audit(rng, start, rows),
            )
            for _, sql in indexes:
                db.execute(sql)
        db.execute('ANALYZE')
        db.execute('PRAGMA journal_mode=WAL')
    finally:
        db.close()


def _runs(rng: random.Random, start: datetime, rows: int) -> Iterator[tuple[Any, ...]]:
    for i in range(rows):
        at = (start + timedelta(seconds=i * 30)).isoformat(sep=' ')
        state = rng.choice(STATES)
        yield (
            rng.choice(OPERATIONS),
            '{"container": "homelab-dev-web-1"}',
            rng.choice(ACTORS),
            'ui',
            state,
            at,
            at,
            at,
            'exit status 1' if state == 'failed' else None,
            json.dumps({'state': 'running'}),
            f'restarting homelab-dev-web-1 ({i})',
            0,
            None,
            'bench',
        )


def _audit(rng: random.Random, start: datetime, rows: int) -> Iterator[tuple[Any, ...]]:
    prev = '0' * 64
    for i in range(rows):
        digest = hashlib.sha256(f'{prev}|{i}'.encode()).hexdigest()
        yield (
            (start + timedelta(seconds=i * 30)).isoformat(sep=' '),
            rng.choice(ACTORS),
            'ui',
            rng.choice(KINDS),
            rng.choice(OPERATIONS),
            i // 2 + 1,
            '{"state": "succeeded"}',
            prev,
            digest,
        )
        prev = digest
