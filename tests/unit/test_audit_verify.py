"""`homelab audit verify` on a real database file: OK, then the first edited or deleted event by number."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from app import cli
from tests.helpers.console import HOMELAB, REPO, console_env


def audited_runs(count: int, capsys: pytest.CaptureFixture[str]) -> None:
    """Each run writes two audit events (requested, finished)."""
    for _ in range(count):
        assert cli.main(['ops', 'run', 'host_reboot_required', '--json']) == 0
    capsys.readouterr()


def test_verify_says_ok_then_names_an_edited_and_a_deleted_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / 'data'
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(data))
    monkeypatch.setenv('HOMELAB_HOST_ROOT', str(tmp_path / 'host'))
    audited_runs(3, capsys)
    assert cli.main(['audit', 'verify']) == 0
    assert capsys.readouterr().out.startswith('OK: 6 audit events')

    database = data / 'homelab.sqlite3'
    with sqlite3.connect(database) as db:  # an edit by hand, as an intruder with file access would do
        db.execute("UPDATE audit_events SET actor = 'cli:someone-else' WHERE id = 3")
    assert cli.main(['audit', 'verify']) == 1
    out = capsys.readouterr().out
    assert 'audit event #3 was edited' in out

    with sqlite3.connect(database) as db:
        db.execute('UPDATE audit_events SET actor = (SELECT actor FROM audit_events WHERE id = 2) WHERE id = 3')
    assert cli.main(['audit', 'verify']) == 0
    capsys.readouterr()
    with sqlite3.connect(database) as db:
        db.execute('DELETE FROM audit_events WHERE id = 4')
    assert cli.main(['audit', 'verify']) == 1
    out = capsys.readouterr().out
    assert 'audit event #5' in out and 'deleted or reordered' in out


def verify(data: Path) -> subprocess.CompletedProcess[str]:
    """`homelab audit verify` as a separate process, the way an operator runs it."""
    return subprocess.run(
        [*HOMELAB, 'audit', 'verify'],
        env=console_env(data),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def delete_newest(database: Path, count: int) -> None:
    with sqlite3.connect(database) as db:  # what an intruder with write access to the file can do
        db.execute(
            'DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events ORDER BY id DESC LIMIT ?)', [count]
        )


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / 'data'
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(data))
    monkeypatch.setenv('HOMELAB_HOST_ROOT', str(tmp_path / 'host'))
    return data


def test_deleting_the_newest_events_is_reported_with_their_number(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audited_runs(3, capsys)
    assert verify(data).stdout.startswith('OK: 6 audit events')

    delete_newest(data / 'homelab.sqlite3', 3)
    done = verify(data)

    assert done.returncode == 1, done.stdout
    assert 'the newest 3 audit events are missing' in done.stdout
    assert 'chain intact' not in done.stdout


def test_newer_events_do_not_cover_up_a_deletion(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audited_runs(3, capsys)
    delete_newest(data / 'homelab.sqlite3', 3)
    audited_runs(2, capsys)  # the console keeps writing after the deletion

    done = verify(data)

    assert done.returncode == 1, done.stdout
    found = re.search(r'event #(\d+) records that the newest 3 audit events were missing', done.stdout)
    assert found, done.stdout
    with sqlite3.connect(data / 'homelab.sqlite3') as db:
        kind, detail = db.execute('SELECT kind, detail FROM audit_events WHERE id = ?', [int(found[1])]).fetchone()
    assert kind == 'audit_events_missing' and json.loads(detail)['missing'] == 3


def test_the_journal_still_knows_the_head_when_the_state_file_is_gone_too(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audited_runs(3, capsys)
    delete_newest(data / 'homelab.sqlite3', 2)
    (data / 'state' / 'audit-head.json').unlink()

    done = verify(data)

    assert done.returncode == 1, done.stdout
    assert 'the newest 2 audit events are missing' in done.stdout


def test_a_rewritten_anchor_file_and_a_new_event_do_not_hide_deleted_events(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audited_runs(3, capsys)
    database = data / 'homelab.sqlite3'
    delete_newest(database, 3)
    # The intruder also rewrites the state file (one line of JSON) to name the shorter chain's head ...
    with sqlite3.connect(database) as db:
        head_id, head_hash = db.execute('SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1').fetchone()
    (data / 'state' / 'audit-head.json').write_text(json.dumps({'id': head_id, 'hash': head_hash, 'count': 3}))
    # ... and the console appends again, anchoring whatever head it is given; the journal is never edited.
    assert cli.main(['token', 'create', 'after-the-deletion']) == 0
    capsys.readouterr()

    done = verify(data)

    assert done.returncode == 1, done.stdout
    assert 'the newest 3 audit events were missing' in done.stdout, done.stdout
    assert 'chain intact' not in done.stdout
    # The append itself saw the journal name a longer chain than the state file, and put the loss on the record.
    with sqlite3.connect(database) as db:
        losses = db.execute("SELECT detail FROM audit_events WHERE kind = 'audit_events_missing'").fetchall()
    assert [json.loads(detail)['missing'] for (detail,) in losses] == [3]
