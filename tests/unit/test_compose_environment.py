"""What Compose is given to interpolate: the engine's address and nothing else of the console's (no engine needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ops.docker.compose import COMPOSE_ENVIRONMENT, Compose, ComposeError, compose_environment

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


OUTSIDE_SECRET = 'hl-test-outside-secret-8c21d7'
STACK = 'stacks/app/compose.yml'
INCLUDED = 'services:\n  inc:\n    image: x:${{LEAK:-none}}\n'
# Each stack makes Compose read a file outside the repository: a `.env` link, an env_file or label_file (as a
# path, a long-syntax entry, a link, `../`, a variable), an include (its file, its project directory, its
# env_file), an extended file, a remote include. The outside files hold OUTSIDE_SECRET, which the stack
# interpolates or copies. (first compose file, other files in the repository, what the stack adds)
OUTSIDE_READS = {
    'dotenv-link': ('compose.yml', {'.env': '@outside'}, ''),
    'dotenv-link-next-to-a-stack-in-a-folder': (STACK, {'stacks/app/.env': '@outside'}, ''),
    'env-file-absolute': (STACK, {}, '    env_file: {outside}\n'),
    'env-file-proc-environ': (STACK, {}, '    env_file: /proc/self/environ\n'),
    'env-file-up-and-out': (STACK, {}, '    env_file: ../../../outside/secret.env\n'),
    'env-file-long-syntax': (STACK, {}, '    env_file:\n      - path: {outside}\n        required: false\n'),
    'env-file-link': (STACK, {'stacks/app/app.env': '@outside'}, '    env_file: app.env\n'),
    'env-file-variable': (STACK, {}, '    env_file: ${{HOME}}/../{outside}\n'),
    'label-file': (STACK, {}, '    label_file: {outside}\n'),
    'extends-file': (STACK, {}, '    extends:\n      file: {outside_compose}\n      service: evil\n'),
    'include-path': (STACK, {}, 'include:\n  - {outside_compose}\n'),
    'include-project-directory': (
        STACK,
        {'stacks/app/inc.yml': INCLUDED},
        'include:\n  - path: inc.yml\n    project_directory: {outside_dir}\n',
    ),
    'include-env-file': (
        STACK,
        {'stacks/app/inc.yml': INCLUDED},
        'include:\n  - path: inc.yml\n    env_file: {outside}\n',
    ),
    'include-remote': (STACK, {}, 'include:\n  - oci://127.0.0.1:5999/stack:latest\n'),
    'env-file-of-an-included-file': (
        STACK,
        {'stacks/app/inc.yml': 'services:\n  inc:\n    image: busybox\n    env_file: {outside}\n'},
        'include:\n  - inc.yml\n',
    ),
}


def outside_stack(tmp_path: Path, case: str) -> tuple[Path, str]:
    """A repository whose one stack reads a file outside it the way OUTSIDE_READS[case] says; its first file."""
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'secret.env').write_text(f'LEAK={OUTSIDE_SECRET}\n')
    (outside / '.env').write_text(f'LEAK={OUTSIDE_SECRET}\n')
    (outside / 'compose.yml').write_text(
        f'services:\n  evil:\n    image: busybox\n    environment:\n      LEAKED: {OUTSIDE_SECRET}\n'
    )
    names = {'outside': outside / 'secret.env', 'outside_dir': outside, 'outside_compose': outside / 'compose.yml'}
    repo = tmp_path / 'repo'
    first, files, snippet = OUTSIDE_READS[case]
    for name, content in {**files, first: ''}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        if content == '@outside':
            (repo / name).symlink_to(outside / 'secret.env')
        elif content:
            (repo / name).write_text(content.format(**names))
    service = 'services:\n  app:\n    image: 127.0.0.1:5999/leak:${LEAK:-none}\n'
    added = snippet.format(**names)
    (repo / first).write_text(added + service if added.startswith('include') else service + added)
    return repo, first


@pytest.mark.parametrize('case', sorted(OUTSIDE_READS))
async def test_a_stack_that_makes_compose_read_a_file_outside_the_repository_is_refused(
    tmp_path: Path, case: str
) -> None:
    repo, first = outside_stack(tmp_path, case)
    with pytest.raises(ComposeError, match=r'outside the repository|cannot be checked|not a local file') as refused:
        await Compose().rendered('hl-test-outside', [first], repo)
    assert OUTSIDE_SECRET not in str(refused.value)


async def test_files_inside_the_repository_are_still_read(tmp_path: Path) -> None:
    (tmp_path / 'stacks' / 'app').mkdir(parents=True)
    (tmp_path / 'shared').mkdir()
    (tmp_path / 'stacks' / 'app' / '.env').write_text('STACK_TAG=from-dotenv\n')
    (tmp_path / 'shared' / 'common.env').write_text('COMMON=from-shared\n')
    (tmp_path / 'stacks' / 'app' / 'app.env').symlink_to('../../shared/common.env')  # a link that stays inside
    (tmp_path / 'shared' / 'base.yml').write_text('services:\n  base:\n    environment:\n      BASE: extended\n')
    (tmp_path / 'stacks' / 'app' / 'side.yml').write_text('services:\n  side:\n    image: busybox:${STACK_TAG}\n')
    (tmp_path / 'stacks' / 'app' / 'compose.yml').write_text(
        'include:\n'
        '  - side.yml\n'
        'services:\n'
        '  app:\n'
        '    image: 127.0.0.1:5999/app:${STACK_TAG}\n'
        '    env_file: [app.env, {path: optional.env, required: false}]\n'
        '    extends: {file: ../../shared/base.yml, service: base}\n'
        '    labels: !reset {}\n'
    )
    rendered = await Compose().rendered('hl-test-inside', ['stacks/app/compose.yml'], tmp_path)
    app = rendered['services']['app']
    assert app['image'] == '127.0.0.1:5999/app:from-dotenv'
    assert app['environment'] == {'COMMON': 'from-shared', 'BASE': 'extended'}
    assert rendered['services']['side']['image'] == 'busybox:from-dotenv'
