"""SIGKILL during a run: after a restart the run is `interrupted`, the database is intact, no audit event lost."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from app.system import adapters_for
from ops.config import HomelabConfig
from ops.docker.engine import Engine
from ops.manager import Manager
from ops.store.chain_check import verify_chain
from ops.store.db import close_store, open_store
from ops.store.models import AuditEvent, Run
from ops.store.owners import OwnerLock
from tests.helpers.console import REPO
from tests.helpers.practice_catalog import Rehearsal, practice_catalog


async def test_sigkill_mid_run_leaves_it_interrupted_and_the_database_intact(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    victim = subprocess.Popen(
        [sys.executable, '-m', 'tests.helpers.crash_victim', str(data)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = victim.stdout.readline() if victim.stdout else ''  # blocks until the run is running (or exit)
        errors = '' if line.startswith('running ') or victim.stderr is None else victim.stderr.read()
        assert line.startswith('running '), f'victim did not start a run: {line!r} {errors}'
        run_id = int(line.split()[1])
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()

    with sqlite3.connect(data / 'homelab.sqlite3') as conn:
        assert conn.execute('PRAGMA integrity_check').fetchone() == ('ok',)
        assert conn.execute('SELECT state FROM runs WHERE id = ?', (run_id,)).fetchone() == ('running',)

    await open_store(data / 'homelab.sqlite3')
    owner = OwnerLock(data / 'state' / 'owners')
    try:
        adapters = adapters_for(Engine('unix:///nonexistent'), HomelabConfig(), data_dir=data, repo_dir=data)
        manager = Manager(adapters, owner=owner, registry=practice_catalog(Rehearsal()))
        assert await manager.recover() == 1
        run = await Run.get(id=run_id)
        assert run.state == 'interrupted'
        kinds = [e.kind for e in await AuditEvent.filter(run_id=run_id).order_by('id')]
        assert kinds == ['requested', 'finished']  # the acknowledged `requested` survived the kill
        assert (await verify_chain()).ok
        assert await manager.recover() == 0  # idempotent
    finally:
        owner.release()
        await close_store()


async def test_recovery_leaves_runs_of_a_live_process_alone(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    await open_store(data / 'homelab.sqlite3')
    other_process = OwnerLock(data / 'state' / 'owners')  # e.g. the server, still running
    me = OwnerLock(data / 'state' / 'owners')
    try:
        run = await Run.create(
            operation='docker_pull', actor='ui:a', origin='ui', state='running', owner=other_process.token
        )
        adapters = adapters_for(Engine('unix:///nonexistent'), HomelabConfig(), data_dir=data, repo_dir=data)
        assert await Manager(adapters, owner=me, registry=practice_catalog(Rehearsal())).recover() == 0
        assert (await Run.get(id=run.id)).state == 'running'
    finally:
        other_process.release()
        me.release()
        await close_store()
