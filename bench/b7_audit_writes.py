"""B7 audit write throughput: AuditLog.append (one hash-chained, durable commit per event, then the head anchored
in the state file and the event journal, as the console and the CLI do) with the production PRAGMAs, vs raw
sqlite3 with the same PRAGMAs on a database made the same way.

The spec's baseline is raw `executemany` (all rows in one transaction). Because an append is one commit
per event by design, raw single-row commits (same durability per event) are measured too and shown as a
second ratio; the spec ratio is the last line.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Report, env_int, stopwatch
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind
from ops.store.chain_check import GENESIS
from ops.store.chain_head import HeadAnchor
from ops.store.db import close_store, open_store, pragma, tortoise_config

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
        baseline='raw sqlite3 executemany, same PRAGMAs (and raw one-commit-per-row)',
        target='>= 0.5x raw',
    )
    rounds = env_int('BENCH_B7_ROUNDS', 5)
    per_round = env_int('BENCH_B7_EVENTS', 200)
    batch = env_int('BENCH_B7_BATCH', 4000)
    append_time = single_time = many_time = 0.0
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
            # Rounds alternate the three writers, so a busy disk or CPU on this shared machine hits each alike.
            for _ in range(rounds):
                with stopwatch() as appended:
                    for i in range(per_round):
                        await audit.append(
                            AuditKind.FINISHED,
                            actor='ui:admin',
                            origin='ui',
                            operation='docker_restart',
                            run_id=i,
                            detail={'state': 'succeeded', 'container': 'homelab-dev-web-1'},
                        )
                append_time += appended[0]
                single_time += raw.insert(per_round, per_row_commit=True)
                many_time += raw.insert(batch, per_row_commit=False)
        finally:
            raw.close()
            await close_store()
    events = rounds * per_round
    append_rate = events / append_time
    single_rate = events / single_time
    many_rate = rounds * batch / many_time
    report.add(f'AuditLog.append x {events}: events/s', round(append_rate, 1), 'events/s')
    report.add('AuditLog.append: ms per event', round(append_time / events * 1000, 3), 'ms')
    report.add(
        f'raw executemany, {rounds} x {batch} rows (one transaction each): rows/s', round(many_rate, 1), 'rows/s'
    )
    report.add(f'raw insert + commit per row x {events}: rows/s', round(single_rate, 1), 'rows/s')
    report.add('append / raw commit-per-row (same durability per event)', round(append_rate / single_rate, 3), 'x')
    return report.finish(round(append_rate / many_rate, 4), 'AuditLog.append / raw executemany')


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

    def insert(self, rows: int, *, per_row_commit: bool) -> float:
        """Seconds to insert `rows` audit rows, one commit each or all in one transaction."""
        data = []
        for i in range(rows):
            digest = hashlib.sha256(f'{self.prev_hash}|{i}'.encode()).hexdigest()
            at = datetime.now(UTC).isoformat(sep=' ')
            data.append((at, 'ui:admin', 'ui', 'finished', 'docker_restart', i, self.detail, self.prev_hash, digest))
            self.prev_hash = digest
        with stopwatch() as took:
            if per_row_commit:
                for row in data:
                    self.db.execute('BEGIN')
                    self.db.execute(_INSERT, row)
                    self.db.execute('COMMIT')
            else:
                self.db.execute('BEGIN')
                self.db.executemany(_INSERT, data)
                self.db.execute('COMMIT')
        return took[0]

    def close(self) -> None:
        self.db.close()
