"""`homelab world rebuild` in a subprocess: world.json and the checkpoint from the journal and the real engine."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import docker.errors

from ops.clock import docker_time
from ops.docker.engine import Engine
from ops.world.checkpoint import checkpoint_path, load_checkpoint
from ops.world.engine_events import journaled, record_key
from ops.world.event_journal import EventJournal
from ops.world.world_file import read_world, world_path
from tests.helpers.console import HOMELAB, REPO, console_env
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique
from tests.helpers.rig import require_engine


def rebuild(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [*HOMELAB, 'world', 'rebuild', *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def engine_states() -> dict[str, str]:
    return {c['Id']: c['State'] for c in docker_client().api.containers(all=True)}


def world_states(data_dir: Path) -> dict[str, str]:
    world = read_world(world_path(data_dir))
    assert world is not None
    return {c['id']: c['state'] for c in world['containers']}


def engine_events(since_nano: int, until_nano: int) -> list[dict[str, Any]]:
    stream = Engine(os.environ.get('DOCKER_HOST') or None).events(
        since=docker_time(since_nano), until=docker_time(until_nano)
    )
    try:
        return list(stream)
    finally:
        stream.close()


def rebuilt_matching_engine(env: dict[str, str], data_dir: Path) -> dict[str, Any]:
    """Run the rebuild; its world.json must equal `docker ps -a` for every container nothing happened to while it
    ran (the engine is shared: other containers may start, crash-loop or go meanwhile). Returns its JSON output."""
    started = time.time_ns()
    result = rebuild(env, '--json')
    assert result.returncode == 0, result.stdout + result.stderr
    listed = engine_states()
    touched = {str(e.get('id')) for e in engine_events(started, time.time_ns()) if journaled(str(e.get('Action')))}
    world = world_states(data_dir)
    assert {k: v for k, v in world.items() if k not in touched} == {k: v for k, v in listed.items() if k not in touched}
    output: dict[str, Any] = json.loads(result.stdout)
    return output


def test_rebuild_writes_the_engine_world_and_a_checkpoint(tmp_path: Path) -> None:
    require_engine()
    data_dir = tmp_path / 'data'
    env = console_env(data_dir)
    started = time.time_ns()
    output = rebuilt_matching_engine(env, data_dir)
    assert output['engine'] == {'reachable': True, 'error': None}
    assert output['source'] == 'engine'
    world = read_world(world_path(data_dir))
    assert world is not None and world['source'] == 'engine' and world['engine']['reachable'] is True
    assert output['containers'] == len(world['containers']) > 0
    checkpoint = load_checkpoint(checkpoint_path(data_dir))
    assert checkpoint is not None and started <= checkpoint.time_nano <= time.time_ns()
    assert checkpoint.time_nano == output['checkpoint_time_nano']

    # Something happens; the next rebuild journals it from the engine and moves the checkpoint exactly there.
    client = docker_client()
    name = unique()
    client.api.create_container(BASE_IMAGE, ['true'], name=name, labels={'homelab.test': 'true'})
    try:
        client.api.start(name)
        client.api.wait(name, timeout=30)
        output = rebuilt_matching_engine(env, data_dir)
        records = list(EventJournal.read(data_dir / 'events'))
        ours = [r for r in records if r.get('source') == 'engine' and r.get('name') == name]
        assert [r['action'] for r in ours][:2] == ['create', 'start']
        assert any(r['action'] == 'die' and r['exit_code'] == 0 for r in ours)
        assert output['events_caught_up'] >= len(ours) >= 3
        keys = [key for key in map(record_key, records) if key is not None]
        assert len(keys) == len(set(keys))
        checkpoint = load_checkpoint(checkpoint_path(data_dir))
        assert checkpoint is not None and checkpoint.time_nano == output['checkpoint_time_nano']
        assert max(key[0] for key in keys) <= checkpoint.time_nano <= time.time_ns()
        world = read_world(world_path(data_dir))
        assert world is not None
        assert [c['state'] for c in world['containers'] if c['name'] == name] == ['exited']
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)


def test_rebuild_without_an_engine_writes_the_journal_world(tmp_path: Path) -> None:
    require_engine()
    data_dir = tmp_path / 'data'
    env = console_env(data_dir)
    rebuilt_matching_engine(env, data_dir)
    known = world_states(data_dir)

    offline = console_env(data_dir, DOCKER_HOST=f'unix://{tmp_path}/no-engine.sock')
    result = rebuild(offline)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'NOT reachable' in result.stdout and 'journal' in result.stdout
    world = read_world(world_path(data_dir))
    assert world is not None and world['source'] == 'journal' and world['engine']['reachable'] is False
    assert world_states(data_dir) == known  # the last known world, from the journal alone

    result = rebuild(offline, '--json')
    assert result.returncode == 0
    output = json.loads(result.stdout)
    assert output['source'] == 'journal' and output['engine']['reachable'] is False and output['engine']['error']
