"""What Compose is given to interpolate: the engine's address and nothing else of the console's (no engine needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ops.docker.compose import COMPOSE_ENVIRONMENT, Compose, compose_environment

SECRET = 'hl-test-console-secret-4f1e9b'


def test_only_the_allowlisted_engine_variables_pass() -> None:
    console = {
        'PATH': '/usr/bin:/bin',
        'HOME': '/home/lab',
        'DOCKER_HOST': 'ssh://homelab',
        'DOCKER_TLS_VERIFY': '1',
        'DOCKER_CERT_PATH': '/certs',
        'DOCKER_CONTEXT': 'lab',
        'DOCKER_CONFIG': '/home/lab/.docker',
        'SSH_AUTH_SOCK': '/run/user/1000/agent.sock',
        'HOMELAB_OIDC_CLIENT_SECRET': SECRET,
        'HOMELAB_STORAGE_SECRET': SECRET,
        'AWS_SECRET_ACCESS_KEY': SECRET,
        'DOCKER_AUTH_TOKEN': SECRET,  # DOCKER_* is not a prefix rule: only the named ones pass
        'COMPOSE_FILE': '/elsewhere/compose.yml',
        'COMPOSE_PROJECT_NAME': 'other',
        'LD_PRELOAD': '/tmp/evil.so',
    }
    env = compose_environment(console)
    assert env == {name: console[name] for name in COMPOSE_ENVIRONMENT}
    assert SECRET not in json.dumps(env)


def test_the_configured_engine_address_wins_and_path_has_a_default() -> None:
    env = compose_environment({'DOCKER_HOST': 'unix:///var/run/docker.sock'}, docker_host='ssh://lab')
    assert env['DOCKER_HOST'] == 'ssh://lab'
    assert env['PATH'] == os.defpath
    assert set(env) == {'DOCKER_HOST', 'PATH'}


async def test_compose_never_interpolates_the_consoles_variables_but_reads_the_stacks_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real Compose binary renders a stack that asks for the console's secret three ways."""
    monkeypatch.setenv('HOMELAB_SOMETHING_SECRET', SECRET)
    monkeypatch.setenv('COMPOSE_PROJECT_NAME', 'hijacked')
    (tmp_path / '.env').write_text('STACK_TAG=from-dotenv\n')
    (tmp_path / 'app.env').write_text('FROM_ENV_FILE=kept\n')
    (tmp_path / 'compose.yml').write_text(
        'services:\n'
        '  app:\n'
        '    image: 127.0.0.1:5999/leak:${HOMELAB_SOMETHING_SECRET:-unset}\n'
        '    env_file: [app.env]\n'
        '    environment:\n'
        '      - HOMELAB_SOMETHING_SECRET\n'  # no value: Compose would copy it from its own environment
        '      - TAG=${STACK_TAG}\n'
        '    labels:\n'
        '      leak: "${HOMELAB_SOMETHING_SECRET}"\n'
    )
    rendered = await Compose().rendered('hl-test-env', ['compose.yml'], tmp_path)
    assert SECRET not in json.dumps(rendered)
    assert rendered['name'] == 'hl-test-env'
    app = rendered['services']['app']
    assert app['image'] == '127.0.0.1:5999/leak:unset'
    assert app['environment']['TAG'] == 'from-dotenv'
    assert app['environment']['FROM_ENV_FILE'] == 'kept'
    assert app['environment'].get('HOMELAB_SOMETHING_SECRET') is None
