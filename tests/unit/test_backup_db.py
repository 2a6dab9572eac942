"""`homelab backup-db` and `restore-db` on real database files: consistent online copies, rotation, a checked
restore that keeps the old file aside and refuses while the database is in use or the copy is damaged."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import cli
from ops.store.audit import AuditLog
from ops.store.backup_copy import BackupError, backup_database, integrity_problems, list_backups
from ops.store.chain_check import verify_chain
from ops.store.db import close_store, open_store
from ops.store.owners import OwnerLock


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / 'data'
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(data))
    monkeypatch.setenv('HOMELAB_HOST_ROOT', str(tmp_path / 'host'))
    return data


def audited_runs(count: int, capsys: pytest.CaptureFixture[str]) -> None:
    """Each run writes two audit events (requested, finished) through the real manager."""
    for _ in range(count):
        assert cli.main(['ops', 'run', 'host_reboot_required', '--json']) == 0
    capsys.readouterr()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = cli.main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f'{database.as_uri()}?mode=ro', uri=True) as db:
        return db.execute(sql).fetchall()


def audit_count(database: Path) -> int:
    return int(rows(database, 'SELECT count(*) FROM audit_events')[0][0])


async def test_a_copy_taken_while_the_store_writes_is_consistent_and_complete(tmp_path: Path) -> None:
    live = tmp_path / 'data' / 'homelab.sqlite3'
    await open_store(live)
    try:
        audit = AuditLog()
        for i in range(50):
            await audit.append('note', actor='test', origin='test', detail={'i': i})
        assert Path(f'{live}-wal').stat().st_size > 0  # the latest pages are still only in the WAL

        async def keep_writing() -> None:
            for i in range(200):
                await audit.append('note', actor='writer', origin='test', detail={'i': i})

        writer = asyncio.create_task(keep_writing())
        result = await asyncio.to_thread(backup_database, live, tmp_path / 'backups', keep=3)
        await writer
    finally:
        await close_store()

    assert result.path.parent == tmp_path / 'backups' and result.removed == ()
    assert result.path.name.startswith('homelab-') and result.path.name.endswith('Z.sqlite3')
    assert integrity_problems(result.path) == []
    assert not Path(f'{result.path}-wal').exists()  # one self-contained file
    assert rows(result.path, 'PRAGMA journal_mode') == [('delete',)]
    assert result.path.stat().st_mode & 0o077 == 0  # password hashes inside: owner only
    copied = audit_count(result.path)
    assert 50 <= copied <= 250
    # The copy is a snapshot of one moment: its audit chain is whole.
    await open_store(result.path)
    try:
        status = await verify_chain()
    finally:
        await close_store()
    assert status.ok and status.checked == copied


def test_only_the_newest_copies_are_kept_and_nothing_else_is_touched(tmp_path: Path) -> None:
    live = tmp_path / 'live.sqlite3'
    with sqlite3.connect(live) as db:
        db.execute('CREATE TABLE t (x)')
    backups = tmp_path / 'backups'
    backups.mkdir()
    (backups / 'notes.txt').write_text('mine')
    (backups / 'homelab-manual.sqlite3').write_text('not one of ours')
    start = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)

    made = [backup_database(live, backups, keep=2, now=start + timedelta(hours=i)) for i in range(4)]

    assert [p.name for p in list_backups(backups)] == [made[2].path.name, made[3].path.name]
    assert made[3].path.name == 'homelab-20261125T060000.000Z.sqlite3'
    assert made[2].removed == (made[0].path,) and made[3].removed == (made[1].path,)
    assert (backups / 'notes.txt').exists() and (backups / 'homelab-manual.sqlite3').exists()
    assert not list(backups.glob('.*'))  # no partial file left
    with pytest.raises(BackupError, match='no database'):
        backup_database(tmp_path / 'missing.sqlite3', backups, keep=2)


def test_backup_then_restore_gives_a_database_that_passes_both_checks(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = data / 'homelab.sqlite3'
    audited_runs(2, capsys)

    code, backup = run_json(capsys, 'backup-db', '--json')
    assert code == 0
    copy = Path(str(backup['path']))
    assert copy.parent == data / 'backups'
    assert audit_count(copy) == 4

    audited_runs(1, capsys)  # after the copy: gone again after the restore
    assert audit_count(database) == 6
    code, restored = run_json(capsys, 'restore-db', str(copy), '--json')

    assert code == 0, restored
    assert restored['audit_events'] == 4
    kept = [Path(p) for p in restored['kept_aside']]  # type: ignore[union-attr]
    assert kept and all(p.exists() for p in kept)
    assert audit_count(kept[0]) >= 4  # the replaced file is intact (its newest pages may be in the kept -wal)
    assert rows(database, 'PRAGMA integrity_check') == [('ok',)]
    assert [r[0] for r in rows(database, 'SELECT kind FROM audit_events ORDER BY id')][-1] == 'db_restored'
    assert audit_count(database) == 5
    assert cli.main(['audit', 'verify']) == 0
    assert capsys.readouterr().out.startswith('OK: 5 audit events')
    # Still a working store: the next run is recorded on the restored chain.
    audited_runs(1, capsys)
    assert cli.main(['audit', 'verify']) == 0
    assert capsys.readouterr().out.startswith('OK: 7 audit events')


def test_restore_refuses_while_the_database_is_in_use(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audited_runs(1, capsys)
    code, backup = run_json(capsys, 'backup-db', '--json')
    assert code == 0
    before = (data / 'homelab.sqlite3').read_bytes()
    server = OwnerLock(data / 'state' / 'owners')  # what a running console holds
    try:
        assert cli.main(['restore-db', str(backup['path'])]) == 2
        assert 'Stop the console first' in capsys.readouterr().err
    finally:
        server.release()
    assert (data / 'homelab.sqlite3').read_bytes() == before
    assert cli.main(['restore-db', str(backup['path'])]) == 0


def test_a_damaged_or_tampered_copy_is_refused_and_nothing_replaced(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audited_runs(2, capsys)
    database = data / 'homelab.sqlite3'
    code, backup = run_json(capsys, 'backup-db', '--json')
    assert code == 0
    before = audit_count(database)

    garbage = tmp_path / 'garbage.sqlite3'
    garbage.write_bytes(b'SQLite format 3\x00' + b'\xff' * 5000)
    assert cli.main(['restore-db', str(garbage)]) == 1
    assert 'integrity check' in capsys.readouterr().err

    tampered = tmp_path / 'tampered.sqlite3'
    tampered.write_bytes(Path(str(backup['path'])).read_bytes())
    with sqlite3.connect(tampered) as db:
        db.execute("UPDATE audit_events SET actor = 'cli:nobody' WHERE id = 2")
    assert cli.main(['restore-db', str(tampered)]) == 1
    err = capsys.readouterr().err
    assert 'audit chain' in err and 'event #2' in err

    assert cli.main(['restore-db', str(tmp_path / 'nothing.sqlite3')]) == 2
    assert audit_count(database) == before
    assert not list(data.glob('homelab.sqlite3.replaced-*'))
    assert not list(data.glob('.homelab.sqlite3.restoring*'))
    assert cli.main(['audit', 'verify']) == 0
