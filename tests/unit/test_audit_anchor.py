"""The audit chain's head is anchored outside the table (state file and event journal), and stays exact while the
server and the CLI (two processes) append to the same database at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.settings import Settings
from app.system import Core
from ops.store.audit import AuditLog
from ops.store.chain_check import ChainWatch, verify_chain
from ops.store.chain_head import ChainHead, HeadAnchor
from ops.store.db import close_store, open_store
from ops.store.models import AuditEvent
from ops.world.event_journal import EventJournal
from tests.helpers.console import HOMELAB, REPO, console_env


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / 'data'
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(data))
    monkeypatch.setenv('HOMELAB_HOST_ROOT', str(tmp_path / 'host'))
    monkeypatch.setenv('DOCKER_HOST', f'unix://{tmp_path}/no-engine.sock')
    return data


def homelab(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOMELAB, *args], env=console_env(data), cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def table(data: Path) -> list[tuple[int, str, str]]:
    with contextlib.closing(sqlite3.connect(f'{(data / "homelab.sqlite3").as_uri()}?mode=ro', uri=True)) as db:
        return [(r[0], r[1], r[2]) for r in db.execute('SELECT id, actor, hash FROM audit_events ORDER BY id')]


def journaled_heads(data: Path) -> list[dict[str, Any]]:
    return [r for r in EventJournal.read(data / 'events') if r.get('source') == 'audit']


async def test_the_anchor_names_the_head_after_the_cli_and_the_server_appended_at_once(data: Path) -> None:
    core = Core(Settings())
    await core.open()
    try:
        tokens = asyncio.gather(*(asyncio.to_thread(homelab, data, 'token', 'create', f'ci-{i}') for i in range(4)))
        served = 0
        while not tokens.done() and served < 20_000:  # the server keeps writing until every CLI process is done
            await core.manager.audit.append('note', actor='server', origin='test', detail={'i': served})
            served += 1
        created = await tokens
    finally:
        await core.close()
    assert all(done.returncode == 0 for done in created), [done.stderr for done in created]

    rows = table(data)
    actors = [actor for _, actor, _ in rows]
    cli_at = [i for i, actor in enumerate(actors) if actor.startswith('cli:')]
    assert len(cli_at) == 4
    assert cli_at[0] > 0 and cli_at[-1] < len(rows) - 1, 'the CLI events landed between server events'
    head_id, _, head_hash = rows[-1]
    anchor = json.loads((data / 'state' / 'audit-head.json').read_text())
    assert (anchor['id'], anchor['hash'], anchor['count']) == (head_id, head_hash, len(rows))
    newest = journaled_heads(data)[-1]
    assert (newest['head_id'], newest['head_hash'], newest['count']) == (head_id, head_hash, len(rows))
    verified = homelab(data, 'audit', 'verify')
    assert verified.returncode == 0 and verified.stdout.startswith(f'OK: {len(rows)} audit events'), verified.stdout


async def test_the_page_check_reads_only_the_events_added_since_the_last_check(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    await open_store(data / 'homelab.sqlite3')
    try:
        audit = AuditLog(HeadAnchor(data))
        for i in range(300):
            await audit.append('note', actor='test', origin='test', detail={'i': i})
        watch = ChainWatch(audit.anchor)
        first = await watch.check()
        assert (first.ok, first.checked, first.read, first.full) == (True, 300, 300, True)

        # An edit far back is not read again by the page's check (the full walk of `audit verify` finds it) ...
        await AuditEvent.filter(id=10).update(actor='mallory')
        for i in range(3):
            await audit.append('note', actor='test', origin='test', detail={'i': 300 + i})
        second = await watch.check()
        assert (second.ok, second.checked, second.read, second.full) == (True, 303, 3, False)
        assert (await verify_chain(anchor=audit.anchor)).first_bad_id == 10
        await AuditEvent.filter(id=10).update(actor='test')

        # ... but the newest events deleted, or the last verified one changed, are found by the next visit.
        newest = await AuditEvent.all().order_by('-id').limit(2).values_list('id', flat=True)
        await AuditEvent.filter(id__in=newest).delete()
        third = await watch.check()
        assert (third.ok, third.missing) == (False, 2)
        assert 'the newest 2 audit events are missing' in third.problem
    finally:
        await close_store()


def test_restore_db_anchors_the_restored_head_but_a_copy_put_back_by_hand_is_caught(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs(2, capsys)
    assert cli.main(['backup-db', '--json']) == 0
    copy = Path(json.loads(capsys.readouterr().out)['path'])
    runs(1, capsys)  # 6 events, then the database goes back to the copy's 4
    assert cli.main(['restore-db', str(copy)]) == 0
    capsys.readouterr()

    rows = table(data)
    assert len(rows) == 5  # the copy's 4 and the restore's own event
    anchored = json.loads((data / 'state' / 'audit-head.json').read_text())
    assert (anchored['id'], anchored['hash'], anchored['count']) == (rows[-1][0], rows[-1][2], 5)
    newest = journaled_heads(data)[-1]
    assert (newest['reason'], newest['count']) == ('restore', 5)
    with contextlib.closing(sqlite3.connect(data / 'homelab.sqlite3')) as db:
        kind, detail = db.execute('SELECT kind, detail FROM audit_events ORDER BY id DESC LIMIT 1').fetchone()
    assert kind == 'db_restored' and json.loads(detail)['replaced_head'] == {'id': 6, 'count': 6}
    assert homelab(data, 'audit', 'verify').stdout.startswith('OK: 5 audit events')

    # The same copy put back by hand, not by restore-db: one event is gone, and the next append says so.
    database = data / 'homelab.sqlite3'
    for side in ('-wal', '-shm'):
        Path(f'{database}{side}').unlink(missing_ok=True)
    shutil.copyfile(copy, database)
    runs(1, capsys)
    done = homelab(data, 'audit', 'verify')
    assert done.returncode == 1, done.stdout
    assert 'records that the newest audit event was missing' in done.stdout


def runs(count: int, capsys: pytest.CaptureFixture[str]) -> None:
    """Each run writes two audit events (requested, finished) through the real manager."""
    for _ in range(count):
        assert cli.main(['ops', 'run', 'host_reboot_required', '--json']) == 0
    capsys.readouterr()


async def test_every_journaled_head_counts_not_only_the_last_one(tmp_path: Path) -> None:
    """A head anchored without the append-time check (an older console, a lost loss record) still shows the deletion
    to verify and to the Audit page's check, however many events follow it."""
    data = tmp_path / 'data'
    await open_store(data / 'homelab.sqlite3')
    try:
        anchor = HeadAnchor(data)
        audit = AuditLog(anchor)
        for i in range(6):
            await audit.append('note', actor='test', origin='test', detail={'i': i})
        watch = ChainWatch(anchor)
        assert (await watch.check()).ok

        newest = await AuditEvent.all().order_by('-id').limit(3).values_list('id', flat=True)
        await AuditEvent.filter(id__in=newest).delete()
        # One event appended after the deletion and anchored as the head, with no loss record in the chain.
        event = await AuditLog().append('note', actor='test', origin='test', detail={'after': True})
        anchor.write(ChainHead(id=event.id, hash=event.hash, count=4))

        for check in (lambda: verify_chain(anchor=anchor), watch.check, ChainWatch(anchor).check):
            status = await check()
            assert not status.ok
            assert 'the newest 3 audit events were missing' in status.problem, status.problem
        # The chain growing past the old head does not hide it either.
        for i in range(5):
            await audit.append('note', actor='test', origin='test', detail={'later': i})
        for check in (lambda: verify_chain(anchor=anchor), watch.check):
            status = await check()
            assert not status.ok and 'the newest 3 audit events were missing' in status.problem, status.problem
    finally:
        await close_store()


def test_appends_after_restore_db_still_verify(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs(2, capsys)
    assert cli.main(['backup-db', '--json']) == 0
    copy = Path(json.loads(capsys.readouterr().out)['path'])
    runs(2, capsys)  # 8 events, then the database goes back to the copy's 4 (and the restore's own event)
    assert cli.main(['restore-db', str(copy)]) == 0
    runs(3, capsys)  # the restored chain grows past the replaced one's length

    done = homelab(data, 'audit', 'verify')
    assert done.returncode == 0 and done.stdout.startswith('OK: 11 audit events'), done.stdout


@pytest.mark.parametrize('after', [0, 3, 40, 700, 3000])
def test_the_last_journaled_head_is_found_behind_other_sources_lines(tmp_path: Path, after: int) -> None:
    """The head is read back from the journal's end: container events written after it (short ones and ones
    longer than the first read), however many, do not hide it."""
    anchor = HeadAnchor(tmp_path)
    anchor.write(ChainHead(id=6, hash='a' * 64, count=6))
    anchor.write(ChainHead(id=7, hash='b' * 64, count=7))
    day = next(anchor.events_dir.iterdir())
    with (day / 'events.jsonl').open('a') as journal:
        for i in range(after):
            text = 'x' * (9000 if i % 50 == 1 else 20)
            journal.write(json.dumps({'source': 'engine', 'i': i, 'text': text}, separators=(',', ':')) + '\n')
    anchor.path.unlink()  # only the journal names the head now

    assert anchor.newest() == ChainHead(id=7, hash='b' * 64, count=7)
