"""`homelab audit verify` on a real database file: OK, then the first edited or deleted event by number."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app import cli


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
