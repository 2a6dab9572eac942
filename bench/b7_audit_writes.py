"""B7 audit write throughput: 50 concurrent submitters calling AuditLog.append (the production path: hash-chained,
group-committed, the head anchored in the state file and the event journal, as the console and the CLI do), each
append returning only once its event is durable, with the production PRAGMAs, vs raw sqlite3 `executemany` of the
same rows on a database made the same way, one transaction per 50 rows (the same durability granularity).
Also one lone append's latency (nothing else waiting), and raw single-row commits for context.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Report, env_int, median, ms, percentile, stopwatch
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind
from ops.store.chain_check import GENESIS, verify_chain
from ops.store.chain_head import HeadAnchor
from ops.store.db import close_store, open_store, pragma, tortoise_config
from ops.store.models import AuditEvent

ID = 'B7'
TITLE = 'audit write throughput with the production PRAGMAs'
_PRAGMAS = ('journal_mode', 'synchronous', 'busy_timeout', 'foreign_keys')
_INSERT = (
    'INSERT INTO audit_events (at, actor, origin, kind, operation, run_id, detail, prev_hash, hash) '
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
)


def run() -> Report:
    return asyncio.run(_run())


async def _run() -> Report:
    report = Report(
        id=ID,
        title=TITLE,
        baseline='raw sqlite3 executemany, same PRAGMAs, one transaction per 50 rows',
        target='>= 0.5x raw; one lone append < 1.5 ms',
    )
    rounds = env_int('BENCH_B7_ROUNDS', 5)
    submitters = env_int('BENCH_B7_SUBMITTERS', 50)
    each = env_int('BENCH_B7_EACH', 100)  # appends per submitter per round
    lone_count = env_int('BENCH_B7_LONE', 200)
    append_time = single_time = many_time = 0.0
    lone: list[float] = []
    with tempfile.TemporaryDirectory(prefix='hl-bench-') as tmp:
        store = Path(tmp) / 'store' / 'homelab.sqlite3'
        raw_path = Path(tmp) / 'raw' / 'homelab.sqlite3'
        for path in (raw_path, store):  # the raw one first: open_store leaves the store open for the appends
            await open_store(path)
            if path == raw_path:
                await close_store()
        credentials = tortoise_config(raw_path)['connections']['default']['credentials']
        raw = _Raw(raw_path, credentials)
        try:
            used = {name: await pragma(name) for name in _PRAGMAS}
            report.add('PRAGMAs of the store', ', '.join(f'{k}={v}' for k, v in used.items()))
            audit = AuditLog(HeadAnchor(store.parent))  # the production append: anchored
            await audit.append(AuditKind.REQUESTED, actor='bench', origin='bench', operation='docker_status', run_id=0)
            returned: list[AuditEvent] = []

            async def submitter(first: int) -> None:
                for i in range(first, first + each):
                    returned.append(await _finished(audit, i))

            groups = 0
            # Rounds alternate the writers, so a busy disk or CPU on this shared machine hits each alike.
            for _ in range(rounds):
                before = audit.groups_written
                with stopwatch() as appended:
                    await asyncio.gather(*(submitter(n * each) for n in range(submitters)))
                groups += audit.groups_written - before
                append_time += appended[0]
                many_time += raw.insert(submitters * each, per_commit=submitters)
                single_time += raw.insert(submitters, per_commit=1)
                for i in range(lone_count // rounds):
                    start = time.perf_counter()
                    await _finished(audit, i)
                    lone.append(time.perf_counter() - start)
            chain = await verify_chain(anchor=audit.anchor)
        finally:
            raw.close()
            await close_store()
    events = rounds * submitters * each
    append_rate = events / append_time
    many_rate = events / many_time
    single_rate = rounds * submitters / single_time
    report.add(
        f'AuditLog.append, {submitters} submitters x {each} x {rounds} rounds: events/s', append_rate, 'events/s'
    )
    report.add('events per commit (mean)', round(events / max(groups, 1), 1))
    report.add(f'raw executemany, {events} rows, one transaction per {submitters}: rows/s', many_rate, 'rows/s')
    report.add('raw insert + commit per row: rows/s', single_rate, 'rows/s')
    report.add(f'one lone append, median of {len(lone)}', ms(median(lone)), 'ms')
    report.add('one lone append, p95', ms(percentile(lone, 95)), 'ms')
    distinct = len({event.id for event in returned}) == len(returned) == events
    report.add('each append returned its own event; chain verified', f'{distinct}; {chain.ok} ({chain.checked} events)')
    if not (distinct and chain.ok):
        report.note(f'the chain or the returned events are wrong: {chain.problem}')
    ratio = append_rate / many_rate
    lone_ms = ms(median(lone))
    return report.finish(
        round(ratio, 3),
        'AuditLog.append (50 submitters) / raw executemany per 50',
        figure=f'{append_rate:,.0f} appends/s at {submitters} submitters; lone append {lone_ms:.2f} ms',
        met=ratio >= 0.5 and lone_ms < 1.5 and distinct and chain.ok,
    )


async def _finished(audit: AuditLog, run_id: int) -> AuditEvent:
    return await audit.append(
        AuditKind.FINISHED,
        actor='ui:admin',
        origin='ui',
        operation='docker_restart',
        run_id=run_id,
        detail={'state': 'succeeded', 'container': 'homelab-dev-web-1'},
    )


class _Raw:
    """Plain sqlite3 on a database made by open_store, with the store's own PRAGMAs; the hash chain is
    computed before the clock starts (only the writes are timed)."""

    def __init__(self, path: Path, credentials: dict[str, Any]) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for name in _PRAGMAS:
            self.db.execute(f'PRAGMA {name}={credentials[name]}')
        prev = self.db.execute('SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1').fetchone()
        self.prev_hash = prev[0] if prev else GENESIS
        self.detail = json.dumps({'state': 'succeeded', 'container': 'homelab-dev-web-1'})

    def insert(self, rows: int, *, per_commit: int) -> float:
        """Seconds to insert `rows` audit rows, `per_commit` rows a transaction (executemany)."""
        data = []
        for i in range(rows):
            digest = hashlib.sha256(f'{self.prev_hash}|{i}'.encode()).hexdigest()
            at = datetime.now(UTC).isoformat(sep=' ')
            data.append((at, 'ui:admin', 'ui', 'finished', 'docker_restart', i, self.detail, self.prev_hash, digest))
            self.prev_hash = digest
        with stopwatch() as took:
            for start in range(0, rows, per_commit):
                self.db.execute('BEGIN')
                self.db.executemany(_INSERT, data[start : start + per_commit])
                self.db.execute('COMMIT')
        return took[0]

    def close(self) -> None:
        self.db.close()
