"""host_reboot and backup_run leave request files; the host's homelab-request.sh performs them (for real here)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ops.adapters import Adapters
from ops.catalog import catalog
from ops.config import BackupConfig, HomelabConfig
from ops.errors import OperationFailed, Refused
from ops.host.request_files import write_request
from ops.manager import Manager
from ops.registry import CATALOG
from ops.runs import RunState
from ops.store.db import close_store, open_store
from ops.store.owners import OwnerLock
from tests.helpers.host_ops import host_services, run_operation

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'deploy' / 'host' / 'homelab-request.sh'
CONFIG = HomelabConfig(backup=BackupConfig(unit='restic-backup.service', max_age='26h'))


@pytest.fixture
def adapters(tmp_path: Path) -> Adapters:
    return host_services(tmp_path, CONFIG)


def perform(adapters: Adapters, kind: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the host script the way homelab-<kind>.service does, with the test's settings."""
    environment = {'PATH': os.environ['PATH'], 'HOMELAB_REQUESTS_DIR': str(adapters.requests_dir), **env}
    return subprocess.run(
        ['bash', str(SCRIPT), kind], env=environment, capture_output=True, text=True, timeout=30, check=False
    )


def read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def stub(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(f'#!/bin/sh\n{body}\n')
    path.chmod(0o755)
    return path


def test_the_specs_say_how_each_action_runs() -> None:
    reboot, backup = CATALOG.get('host_reboot'), CATALOG.get('backup_run')
    assert reboot is not None and backup is not None
    assert (reboot.mutating, reboot.confirm, reboot.pool, reboot.on_busy) == (True, True, 'host', 'refuse')
    assert reboot.lock_key(reboot.params()) == 'host:reboot'
    assert (backup.mutating, backup.confirm, backup.pool, backup.on_busy) == (True, False, 'host', 'refuse')
    assert backup.lock_key(backup.params()) == 'backup'


async def test_host_reboot_queues_one_request_file(adapters: Adapters) -> None:
    result, ctx = await run_operation('host_reboot', adapters)

    request = read_json(adapters.requests_dir / 'reboot.request')
    assert result['queued'] is True and result['id'] == request['id']
    assert request['kind'] == 'reboot' and request['actor'] == 'run:1' and request['run_id'] == 1
    assert request['requested_at'] == result['requested_at']
    assert sorted(p.name for p in adapters.requests_dir.iterdir()) == ['reboot.request']  # no temporary left
    assert 'homelab-reboot.path' in ctx.output

    with pytest.raises(Refused, match='reboot request is already pending'):
        await run_operation('host_reboot', adapters)


async def test_a_request_file_names_the_user_who_asked_and_the_run(adapters: Adapters, tmp_path: Path) -> None:
    """Through the manager, as the page and the CLI ask: the host's log shows who, not only `run:N`."""
    await open_store(adapters.data_dir / 'homelab.sqlite3')
    owner = OwnerLock(adapters.data_dir / 'state' / 'owners')
    manager = Manager(adapters, owner=owner, registry=catalog())
    try:
        for operation, kind, actor in (('host_reboot', 'reboot', 'ui:alice'), ('backup_run', 'backup', 'cli:root')):
            outcome = await manager.run(operation, {}, actor=actor, origin=actor.split(':')[0])
            assert outcome.state is RunState.SUCCEEDED, outcome.error
            request = read_json(adapters.requests_dir / f'{kind}.request')
            assert (request['actor'], request['run_id']) == (actor, outcome.run_id)
    finally:
        await manager.shutdown()
        owner.release()
        await close_store()


def test_a_pending_request_is_never_overwritten(adapters: Adapters) -> None:
    first = write_request(adapters.requests_dir, 'backup', {'unit': 'restic-backup.service'})
    with pytest.raises(OperationFailed, match='already pending'):
        write_request(adapters.requests_dir, 'backup', {'unit': 'restic-backup.service'})
    assert read_json(first.path)['id'] == first.id
    assert sorted(p.name for p in adapters.requests_dir.iterdir()) == ['backup.request']


async def test_reboot_round_trip_in_dry_run(adapters: Adapters) -> None:
    result, _ = await run_operation('host_reboot', adapters)

    done = perform(adapters, 'reboot', DRY_RUN='1')

    assert done.returncode == 0, done.stderr
    assert not (adapters.requests_dir / 'reboot.request').exists()
    outcome = read_json(adapters.requests_dir / 'reboot.result')
    assert outcome['id'] == result['id']
    assert (outcome['kind'], outcome['status'], outcome['exit_status'], outcome['dry_run']) == (
        'reboot',
        'succeeded',
        0,
        True,
    )
    assert 'would reboot' in outcome['message']
    assert outcome['started'] <= outcome['finished']
    # Taken: the next reboot may be requested again.
    await run_operation('host_reboot', adapters)


async def test_reboot_asks_systemd(adapters: Adapters, tmp_path: Path) -> None:
    calls = tmp_path / 'calls'
    systemctl = stub(tmp_path, 'systemctl', f'echo "$@" >> {calls}')
    await run_operation('host_reboot', adapters)

    done = perform(adapters, 'reboot', HOMELAB_SYSTEMCTL=str(systemctl))

    assert done.returncode == 0, done.stderr
    assert calls.read_text() == 'reboot\n'
    assert read_json(adapters.requests_dir / 'reboot.result')['status'] == 'succeeded'


async def test_backup_round_trip_with_a_command_then_backup_status(adapters: Adapters, tmp_path: Path) -> None:
    marker = tmp_path / 'backed-up'
    command = stub(tmp_path, 'backup', f'echo "snapshot 5b7c saved"; touch {marker}')
    queued, _ = await run_operation('backup_run', adapters)
    assert read_json(adapters.requests_dir / 'backup.request')['unit'] == 'restic-backup.service'
    status, _ = await run_operation('backup_status', adapters)
    assert status['pending_request']['id'] == queued['id']
    with pytest.raises(Refused, match='backup request is already pending'):
        await run_operation('backup_run', adapters)

    done = perform(adapters, 'backup', HOMELAB_BACKUP_COMMAND=str(command))

    assert done.returncode == 0, done.stderr
    assert marker.exists()
    assert 'snapshot 5b7c saved' in done.stderr  # the command's output goes to the service's journal
    outcome = read_json(adapters.requests_dir / 'backup.result')
    assert (outcome['id'], outcome['status'], outcome['exit_status']) == (queued['id'], 'succeeded', 0)
    assert outcome['message'] == f'{command} finished: snapshot 5b7c saved'
    assert not (adapters.requests_dir / 'backup.request').exists()

    status, _ = await run_operation('backup_status', adapters)
    assert status['status'] == 'fresh'
    assert status['last_success']['source'] == 'result_file'
    assert status['pending_request'] is None and status['host_result']['id'] == queued['id']


async def test_a_failing_backup_is_reported(adapters: Adapters, tmp_path: Path) -> None:
    command = stub(tmp_path, 'backup', 'echo "Fatal: wrong password" >&2; exit 3')
    await run_operation('backup_run', adapters)

    done = perform(adapters, 'backup', HOMELAB_BACKUP_COMMAND=str(command))

    assert done.returncode == 3
    outcome = read_json(adapters.requests_dir / 'backup.result')
    assert (outcome['status'], outcome['exit_status']) == ('failed', 3)
    assert outcome['message'].endswith('failed with status 3: Fatal: wrong password')
    status, _ = await run_operation('backup_status', adapters)
    assert (status['status'], status['failing']) == ('never', True)


async def test_backup_starts_the_configured_unit_and_waits(adapters: Adapters, tmp_path: Path) -> None:
    calls = tmp_path / 'calls'
    systemctl = stub(tmp_path, 'systemctl', f'echo "$@" >> {calls}')
    await run_operation('backup_run', adapters)

    done = perform(adapters, 'backup', HOMELAB_SYSTEMCTL=str(systemctl), HOMELAB_BACKUP_UNIT='nightly-restic.service')

    assert done.returncode == 0, done.stderr
    assert calls.read_text() == 'start --wait nightly-restic.service\n'
    assert read_json(adapters.requests_dir / 'backup.result')['message'] == 'nightly-restic.service finished'


async def test_nothing_in_the_request_but_its_id_is_used(adapters: Adapters, tmp_path: Path) -> None:
    marker = tmp_path / 'pwned'
    adapters.requests_dir.mkdir(parents=True)
    (adapters.requests_dir / 'backup.request').write_text(
        json.dumps({'id': '$(touch /tmp/x)', 'unit': f'x.service; touch {marker}', 'command': f'touch {marker}'})
    )
    calls = tmp_path / 'calls'
    systemctl = stub(tmp_path, 'systemctl', f'echo "$@" >> {calls}')

    done = perform(adapters, 'backup', HOMELAB_SYSTEMCTL=str(systemctl))

    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert calls.read_text() == 'start --wait restic-backup.service\n'
    assert read_json(adapters.requests_dir / 'backup.result')['id'] == 'unknown'


async def test_links_planted_in_the_requests_directory_are_not_followed(adapters: Adapters, tmp_path: Path) -> None:
    victim = tmp_path / 'victim'
    victim.write_text('precious\n')
    await run_operation('host_reboot', adapters)
    (adapters.requests_dir / 'reboot.result').symlink_to(victim)

    done = perform(adapters, 'reboot', DRY_RUN='1')

    assert done.returncode == 0, done.stderr
    assert victim.read_text() == 'precious\n'
    assert not (adapters.requests_dir / 'reboot.result').is_symlink()
    assert read_json(adapters.requests_dir / 'reboot.result')['status'] == 'succeeded'

    (adapters.requests_dir / 'reboot.request').symlink_to(victim)
    refused = perform(adapters, 'reboot', DRY_RUN='1')
    assert refused.returncode == 1 and 'symbolic link' in refused.stderr
    assert victim.read_text() == 'precious\n'
    assert not (adapters.requests_dir / 'reboot.request').exists()


def test_a_spurious_trigger_does_nothing(adapters: Adapters) -> None:
    adapters.requests_dir.mkdir(parents=True)
    done = perform(adapters, 'backup', DRY_RUN='1')
    assert done.returncode == 0
    assert list(adapters.requests_dir.iterdir()) == []
