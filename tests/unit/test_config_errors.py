"""A bad config or HOMELAB_* value stops `homelab` with one line naming the key and the rule (exit 2, no traceback)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.console import HOMELAB, REPO, console_env, free_port


def homelab(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = console_env(tmp_path / 'data', **{'HOMELAB_PORT': str(free_port()), **env})
    return subprocess.run(
        [*HOMELAB, *args],
        env=environment,
        cwd=REPO,
        input='a password\n',
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / 'homelab.toml'
    path.write_text(text)
    return str(path)


def refused_with_one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert 'Traceback' not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith('homelab: '), lines[0]
    return lines[0]


CASES = {
    'a stack name': (
        '[stacks."My Stack"]\nfiles = ["compose.yml"]\n',
        'stacks."My Stack": a stack name must be a lowercase Compose project name (a-z, 0-9, -, _)',
    ),
    'a probe kind': (
        '[probes.nas]\nkind = "smoke"\ntarget = "10.0.0.2"\n',
        "probes.nas.kind: must be one of 'ping', 'dns', 'tcp', 'http', 'dot', 'doh'",
    ),
    'an unknown key': ('[backup]\nunit = "restic.service"\nmax_aeg = "26h"\n', 'backup.max_aeg: unknown key'),
    'a duration': ('[backup]\nmax_age = "one day"\n', 'backup.max_age: not a duration like 26h or 90m'),
    'a stack file': ('[stacks.web]\nfiles = ["../etc/passwd"]\n', 'stacks.web.files: stack files must be relative'),
    'TOML syntax': ('[stacks.web\nfiles = 1\n', 'not valid TOML: '),
    'quiet hours': (
        '[notify.channels.pager]\nurl_env = "PAGER_URL"\nquiet_hours = "10pm-7am"\n',
        'notify.channels.pager.quiet_hours: quiet_hours must be HH:MM-HH:MM',
    ),
}


@pytest.mark.parametrize('case', CASES)
def test_serve_names_the_bad_config_key_and_its_rule(tmp_path: Path, case: str) -> None:
    text, expected = CASES[case]
    path = config_file(tmp_path, text)
    line = refused_with_one_line(homelab(tmp_path, 'serve', HOMELAB_CONFIG=path))
    assert line.startswith(f'homelab: config {path}: '), line
    assert expected in line, line


def test_a_missing_config_file_is_one_line(tmp_path: Path) -> None:
    line = refused_with_one_line(homelab(tmp_path, 'serve', HOMELAB_CONFIG=str(tmp_path / 'nope.toml')))
    assert line.endswith('nope.toml: file not found'), line


@pytest.mark.parametrize(
    ('name', 'value', 'expected'),
    [
        ('HOMELAB_PORT', 'eighty', 'homelab: environment HOMELAB_PORT: '),
        ('HOMELAB_ENV', 'staging', "homelab: environment HOMELAB_ENV: must be one of 'dev', 'prod'"),
        ('HOMELAB_SESSION_IDLE_HOURS', '-1', 'homelab: environment HOMELAB_SESSION_IDLE_HOURS: '),
    ],
)
def test_serve_names_a_bad_environment_value_without_echoing_it(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    line = refused_with_one_line(homelab(tmp_path, 'serve', **{name: value}))
    assert line.startswith(expected), line
    assert value not in line  # a value might be a secret: the line names the key and the rule only


@pytest.mark.parametrize(
    'command',
    [
        ('runs', 'list'),
        ('ops', 'run', 'docker_status'),
        ('actions', 'list'),
        ('user', 'create', 'x', '--password-stdin'),
    ],
)
def test_every_command_that_loads_the_config_says_the_same(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = config_file(tmp_path, '[stacks."My Stack"]\nfiles = ["compose.yml"]\n')
    done = homelab(tmp_path, *command, HOMELAB_CONFIG=path, HOMELAB_PORT='eighty')
    line = refused_with_one_line(done)
    assert 'HOMELAB_PORT' in line, line
    done = homelab(tmp_path, *command, HOMELAB_CONFIG=path)
    if command[0] != 'user':  # user commands read the environment, not the TOML file
        line = refused_with_one_line(done)
        assert 'a stack name must be a lowercase Compose project name' in line, line
