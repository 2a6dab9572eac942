"""The `homelab` CLI against the real engine: runs go through the manager and leave an audit trail."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ops.catalog import catalog
from tests.helpers.console import HOMELAB, REPO, console_env
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for


def homelab(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOMELAB, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


def web_health() -> str:
    result = subprocess.run(
        ['docker', 'inspect', '-f', '{{.State.Health.Status}}', 'homelab-dev-web-1'],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return result.stdout.strip()


def test_ops_list_shows_the_whole_catalog_with_schemas(tmp_path: Path) -> None:
    result = homelab(console_env(tmp_path / 'data'), 'ops', 'list', '--json')
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert sorted(op['name'] for op in listed) == catalog().names()
    assert all(op['arguments']['type'] == 'object' for op in listed)
    restart = next(op for op in listed if op['name'] == 'docker_restart')
    assert restart['mutating'] and restart['confirm'] and restart['single_flight']
    assert 'container' in restart['arguments']['properties']
    assert restart['arguments']['additionalProperties'] is False


def test_restart_through_the_cli_is_recorded_with_two_audit_events(tmp_path: Path) -> None:
    require_dev_stack()
    env = console_env(tmp_path / 'data')
    result = homelab(env, 'ops', 'run', 'docker_restart', 'container=homelab-dev-web-1', '--json')
    assert result.returncode == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout)
    assert outcome['state'] == 'succeeded'
    run_id = outcome['run_id']

    runs = json.loads(homelab(env, 'runs', 'list', '--json').stdout)['runs']
    assert runs[0]['id'] == run_id and runs[0]['state'] == 'succeeded' and runs[0]['actor'].startswith('cli:')
    events = json.loads(homelab(env, 'audit', 'list', '--json', '--run', str(run_id)).stdout)['events']
    assert [e['kind'] for e in reversed(events)] == ['requested', 'finished']
    shown = homelab(env, 'runs', 'show', str(run_id))
    assert 'docker_restart' in shown.stdout and 'succeeded' in shown.stdout
    assert homelab(env, 'audit', 'verify').stdout.startswith('OK')
    wait_for(lambda: web_health() == 'healthy', timeout=60, what='web healthy again after the restart')


def test_a_shell_injection_attempt_is_refused_and_audited(tmp_path: Path) -> None:
    env = console_env(tmp_path / 'data')
    result = homelab(env, 'ops', 'run', 'docker_restart', 'container=x;id', '--json')
    assert result.returncode != 0
    outcome = json.loads(result.stdout)
    assert outcome['state'] == 'rejected'
    assert 'container' in outcome['error']
    events = json.loads(homelab(env, 'audit', 'list', '--json').stdout)['events']
    assert events[0]['kind'] == 'rejected' and events[0]['operation'] == 'docker_restart'
    assert 'container' in events[0]['detail']['error']
