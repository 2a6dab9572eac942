"""Account administration from the host goes on the audit trail: one event per change, never its secret, and
no change at all when the event cannot be written (the real `homelab` CLI, as a subprocess)."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from ops.store.chain_check import GENESIS
from tests.helpers.console import HOMELAB, REPO, console_env

FIRST = 'first long password of alice'
SECOND = 'second long password of alice'
ACTOR = f'cli:{pwd.getpwuid(os.geteuid()).pw_name}'


def homelab(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOMELAB, *args],
        input=stdin,
        env=console_env(data),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def audit_rows(data: Path) -> list[dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(f'{(data / "homelab.sqlite3").as_uri()}?mode=ro', uri=True)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute('SELECT * FROM audit_events ORDER BY id')]


def one_new_event(data: Path, before: int, *args: str, stdin: str | None = None) -> tuple[str, dict[str, Any]]:
    """Run one command; it succeeds and leaves exactly one new audit event, which is returned with its stdout."""
    done = homelab(data, *args, stdin=stdin)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = audit_rows(data)
    assert len(rows) == before + 1, [r['kind'] for r in rows[before:]]
    return done.stdout, rows[-1]


def everything_on_record(data: Path) -> str:
    """Every column of every audit row, and every byte of the event journal."""
    with contextlib.closing(sqlite3.connect(f'{(data / "homelab.sqlite3").as_uri()}?mode=ro', uri=True)) as db:
        table = '\n'.join(repr(row) for row in db.execute('SELECT * FROM audit_events'))
    journal = '\n'.join(p.read_text(encoding='utf-8') for p in sorted((data / 'events').rglob('*.jsonl')))
    return table + '\n' + journal


def test_each_account_change_is_one_audit_event_without_its_secret(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    steps = [
        (('user', 'create', 'alice', '--password-stdin'), FIRST + '\n', 'user_created', {'user': 'alice'}),
        (('user', 'set-password', 'alice', '--password-stdin'), SECOND + '\n', 'password_changed', {'user': 'alice'}),
        (('user', 'totp', 'alice'), None, 'totp_enrolled', {'user': 'alice'}),
        (('user', 'totp', 'alice', '--remove'), None, 'totp_removed', {'user': 'alice'}),
        (('user', 'disable', 'alice'), None, 'user_disabled', {'user': 'alice'}),
        (('token', 'create', 'ci'), None, 'token_created', {'token': 'ci'}),
        (('token', 'revoke', 'ci'), None, 'token_revoked', {'token': 'ci'}),
    ]
    secrets = [FIRST, SECOND]
    for count, (args, stdin, kind, target) in enumerate(steps):
        out, event = one_new_event(data, count, *args, stdin=stdin)
        assert (event['kind'], event['actor'], event['origin']) == (kind, ACTOR, 'cli'), event
        assert target.items() <= json.loads(event['detail']).items(), event
        if kind == 'totp_enrolled':
            secret = re.search(r'secret: (\S+)', out)
            uri = re.search(r'(otpauth://\S+)', out)
            codes = re.findall(r'^\s+([0-9a-f]{8}-[0-9a-f]{8})$', out, flags=re.MULTILINE)
            assert secret and uri and len(codes) == 10, out
            secrets += [secret[1], uri[1], *codes, *(c.replace('-', '') for c in codes)]
        if kind == 'token_created':
            assert out.strip().startswith('hlp_'), out
            secrets.append(out.strip())
    with contextlib.closing(sqlite3.connect(data / 'homelab.sqlite3')) as db:
        secrets += [row[0] for row in db.execute('SELECT password_hash FROM users')]
        secrets += [row[0] for row in db.execute('SELECT token_hash FROM api_tokens')]
        secrets += [row[0] for row in db.execute('SELECT code_hash FROM recovery_codes')]

    on_record = everything_on_record(data)
    assert '"source":"audit"' in on_record  # the journal holds the anchored heads (what was searched is real)
    for secret in secrets:
        assert secret not in on_record


def test_a_change_whose_audit_event_cannot_be_written_does_not_happen(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    assert homelab(data, 'user', 'create', 'alice', '--password-stdin', stdin=FIRST + '\n').returncode == 0
    with contextlib.closing(sqlite3.connect(data / 'homelab.sqlite3')) as db:
        # The audit table refuses writes; the rest of the database does not.
        db.execute(
            "CREATE TRIGGER audit_full BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
        db.commit()
        before = {table: db.execute(f'SELECT * FROM {table}').fetchall() for table in TABLES}

    for args, stdin in [
        (('user', 'create', 'bob', '--password-stdin'), FIRST + '\n'),
        (('user', 'set-password', 'alice', '--password-stdin'), SECOND + '\n'),
        (('user', 'totp', 'alice'), None),
        (('user', 'disable', 'alice'), None),
        (('token', 'create', 'ci'), None),
    ]:
        done = homelab(data, *args, stdin=stdin)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert 'nothing changed' in done.stderr, done.stderr
        assert 'secret' not in done.stdout and 'hlp_' not in done.stdout  # no secret shown for a refused change

    with contextlib.closing(sqlite3.connect(data / 'homelab.sqlite3')) as db:
        after = {table: db.execute(f'SELECT * FROM {table}').fetchall() for table in TABLES}
    assert after == before
    assert [row['kind'] for row in audit_rows(data)] == ['user_created']
    assert audit_rows(data)[0]['prev_hash'] == GENESIS


TABLES = ('users', 'api_tokens', 'second_factors', 'recovery_codes', 'login_sessions', 'audit_events')
