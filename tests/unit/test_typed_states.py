"""Typed states keep what is stored: old databases read back, old chains verify, filters find old events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app import cli
from app.config_problems import problem_line
from ops.runs import RunState
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind
from ops.store.chain_check import event_hash, fields_of, verify_chain
from ops.store.db import StoreProblem, close_store, open_store
from ops.store.models import Action, AuditEvent, Run
from ops.world.action_states import ActionState

# Every kind the console wrote as a plain string before AuditKind existed: existing chains hash these.
WRITTEN_BEFORE = {
    'requested', 'joined', 'rejected', 'finished',
    'action_proposed', 'action_approved', 'action_rejected', 'action_refused',
    'login_succeeded', 'login_failed', 'login_throttled', 'session_ended_refused',
    'user_created', 'password_changed', 'user_disabled', 'totp_enrolled', 'totp_removed',
    'token_created', 'token_revoked', 'db_restored', 'audit_events_missing',
}  # fmt: skip
# Kinds added since, each with the string it is stored as from its first event on.
ADDED_SINCE = {'notify_test', 'alert_acknowledged', 'alert_snoozed', 'schedule_ran'}


def test_every_kind_keeps_its_stored_string() -> None:
    assert {kind.value for kind in AuditKind} == WRITTEN_BEFORE | ADDED_SINCE


async def test_rows_written_as_text_read_back_as_states_and_their_chain_verifies(tmp_path: Path) -> None:
    database = tmp_path / 'h.sqlite3'
    await open_store(database)
    try:
        event = await AuditLog().append(AuditKind.FINISHED, actor='cli:root', origin='cli', detail={'state': 'ok'})
        stored = await AuditEvent.get(id=event.id)
        assert type(stored.kind) is str and stored.kind == 'finished'  # hashed and stored as the plain string
        assert event.hash == event_hash(event.prev_hash, fields_of(stored))
    finally:
        await close_store()
    with sqlite3.connect(database) as db:  # rows as the console wrote them before the states were typed
        db.execute(
            'INSERT INTO runs (operation, params, actor, origin, state, created_at, output, dropped_lines, owner) '
            "VALUES ('docker_status', '{}', 'ui:admin', 'ui', 'timed_out', '2026-11-01 10:00:00+00:00', '', 0, '')"
        )
        db.execute(
            'INSERT INTO actions (created_at, updated_at, stack, kind, drift_key, title, detail, operation, params, '
            "plan, state, auto) VALUES ('2026-11-01 10:00:00+00:00', '2026-11-01 10:00:00+00:00', 'web', 'image', "
            "'web:image', 'Update web', '', 'stack_update', '{}', '{}', 'superseded', 0)"
        )
    await open_store(database)
    try:
        run = await Run.get(operation='docker_status')
        assert run.state is RunState.TIMED_OUT
        assert await Run.filter(state=RunState.TIMED_OUT).count() == 1
        action = await Action.get(stack='web')
        assert action.state is ActionState.SUPERSEDED
        assert (await verify_chain()).ok
    finally:
        await close_store()


def test_the_cli_filters_runs_by_state_and_refuses_a_state_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(tmp_path / 'data'))
    monkeypatch.setenv('HOMELAB_HOST_ROOT', str(tmp_path / 'host'))
    assert cli.main(['ops', 'run', 'host_reboot_required', '--json']) == 0
    capsys.readouterr()
    assert cli.main(['runs', 'list', '--state', 'succeeded']) == 0
    assert 'host_reboot_required' in capsys.readouterr().out
    assert cli.main(['runs', 'list', '--state', 'failed']) == 0
    assert 'host_reboot_required' not in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(['runs', 'list', '--state', 'timed out'])
    assert "invalid choice: 'timed out'" in capsys.readouterr().err


async def test_storing_states_as_enums_keeps_the_history_indexes(tmp_path: Path) -> None:
    """The keyset pages of Runs, Actions and the filters walk (column, id) indexes: the typed-state migration must not
    remake the tables without them (Tortoise's SQLite AlterField would)."""
    database = tmp_path / 'h.sqlite3'
    await open_store(database)
    await close_store()
    with sqlite3.connect(database) as db:

        def indexed(table: str) -> set[tuple[str, ...]]:
            names = [row[1] for row in db.execute(f'PRAGMA index_list({table})')]
            return {tuple(col[2] for col in db.execute(f'PRAGMA index_info("{name}")')) for name in names}

        run_indexes, action_indexes = indexed('runs'), indexed('actions')
        column = {row[1]: row[2] for row in db.execute('PRAGMA table_info(runs)')}['state']
    assert {('state', 'id'), ('operation', 'id'), ('actor', 'id'), ('state',)} <= run_indexes
    assert {('state', 'id'), ('state',)} <= action_indexes
    assert column == 'VARCHAR(16)'


async def test_a_database_with_states_this_version_does_not_know_is_refused_in_one_line(tmp_path: Path) -> None:
    """A copy from a newer console (a downgrade) would make every history page fail: the console says so instead."""
    database = tmp_path / 'h.sqlite3'
    await open_store(database)
    await Run.create(operation='docker_status', actor='cli:root', origin='cli', state=RunState.SUCCEEDED)
    await close_store()
    with sqlite3.connect(database) as db:
        db.execute(
            'INSERT INTO runs (operation, params, actor, origin, state, created_at, output, dropped_lines, owner) '
            "VALUES ('docker_status', '{}', 'cli:root', 'cli', 'queued<b>', '2026-11-30 12:00:00', '', 0, '')"
        )
    with pytest.raises(StoreProblem) as refused:
        await open_store(database)
    line = problem_line(refused.value)
    assert line is not None and '\n' not in line
    assert "runs in states this version does not know ('queued<b>')" in line and 'homelab restore-db' in line
