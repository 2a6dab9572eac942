"""How the Compose CLI is called and how its output is read (no engine needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ops.docker.compose import (
    ComposeError,
    UpResult,
    find_compose,
    parse_config_hashes,
    parse_up_line,
    service_of,
    stack_files,
)

HASH = 'a' * 64


def test_the_real_compose_binary_is_used_not_the_always_zero_wrapper() -> None:
    command = find_compose()
    assert command[0].endswith('/compose/docker-compose') or command[-1] == 'compose'
    assert not command[0].endswith('/bin/docker-compose')


def test_config_hashes_skip_warning_lines() -> None:
    lines = ['WARN[0000] /x/compose.yml: `version` is obsolete', f'web {HASH}', f'sick {"b" * 64}', '']
    assert parse_config_hashes(lines) == {'web': HASH, 'sick': 'b' * 64}


@pytest.mark.parametrize(
    ('line', 'expected'),
    [
        (' Container hl-test-x-b-1  Recreate', ('b', 'hl-test-x-b-1', 'Recreate')),
        (' Container hl-test-x-web_app-1  Started', ('web_app', 'hl-test-x-web_app-1', 'Started')),
        (' Container my-custom-name  Running', ('my-custom-name', 'my-custom-name', 'Running')),
        (' c Pulling ', ('c', None, 'Pulling')),
        (' c Error Get "https://nosuch.invalid/v2/": no such host', ('c', None, 'Error')),
    ],
)
def test_up_lines_become_service_steps(line: str, expected: tuple[str, str | None, str]) -> None:
    step = parse_up_line(line, 'hl-test-x')
    assert step is not None
    assert (step.service, step.container, step.status) == expected


@pytest.mark.parametrize('line', [' Network hl-test-x_default  Creating', 'Error response from daemon: boom', ''])
def test_other_up_lines_are_not_service_steps(line: str) -> None:
    assert parse_up_line(line, 'hl-test-x') is None


def test_service_of_a_container_name() -> None:
    assert service_of('homelab-dev-registry-app-1', 'homelab-dev') == 'registry-app'
    assert service_of('homelab-dev_web_1', 'homelab-dev') == 'web'  # Compose v1 names


def test_changed_services_are_the_created_recreated_or_removed_ones() -> None:
    result = UpResult(
        project='p',
        ok=True,
        returncode=0,
        timed_out=False,
        lines=(),
        steps={'a': ('Running',), 'b': ('Recreate', 'Recreated', 'Starting', 'Started'), 'c': ('Created', 'Started')},
    )
    assert result.changed == ['b', 'c']


def test_stack_files_must_exist_inside_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / 'repo'
    (repo / 'stacks').mkdir(parents=True)
    (repo / 'stacks' / 'compose.yml').write_text('services: {}\n')
    (tmp_path / 'outside.yml').write_text('services: {}\n')
    os.symlink(tmp_path / 'outside.yml', repo / 'sneaky.yml')
    assert stack_files(['stacks/compose.yml'], repo) == [(repo / 'stacks' / 'compose.yml').resolve()]
    with pytest.raises(ComposeError, match='outside the repository'):
        stack_files(['../outside.yml'], repo)
    with pytest.raises(ComposeError, match='outside the repository'):
        stack_files(['sneaky.yml'], repo)
    with pytest.raises(ComposeError, match='does not exist'):
        stack_files(['missing.yml'], repo)
    with pytest.raises(ComposeError, match='no compose files'):
        stack_files([], repo)
