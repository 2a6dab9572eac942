"""The server's own log (what `docker compose logs -f` shows): one line per run, action decision, drift, engine
loss and return, and the config it loaded; each with its id, none with a secret."""

from __future__ import annotations

import asyncio
import re
import secrets
from pathlib import Path

from ops.docker.compose import Compose
from tests.helpers.console import Console, running_console
from tests.helpers.docker_ops import docker_client, engine_url, unique, write_stack
from tests.helpers.gitops import commit, init_repo, remove_project
from tests.helpers.rig import require_engine
from tests.helpers.socket_proxy import EngineProxy
from tests.helpers.waiting import wait_for

LINE = re.compile(r'^\S+ \S+ (INFO|WARNING|ERROR) [a-z_.]+: ', re.MULTILINE)


def logged(console: Console, pattern: str, *, timeout: float = 60) -> re.Match[str]:
    """Wait until a log line of the app's loggers matches `pattern`; return the match."""
    found = wait_for(
        lambda: next((m for m in re.finditer(pattern, console.log(), re.MULTILINE) if _app_line(console, m)), None),
        timeout=timeout,
        what=f'a log line matching {pattern!r}',
    )
    assert found is not None
    return found


def _app_line(console: Console, match: re.Match[str]) -> bool:
    start = console.log().rfind('\n', 0, match.start()) + 1
    return LINE.match(console.log(), start) is not None


def test_an_unreachable_engine_and_the_config_are_logged(tmp_path: Path) -> None:
    config = tmp_path / 'homelab.toml'
    config.write_text('[stacks.web]\nfiles = ["compose.yml"]\n\n[probes.nas]\nkind = "ping"\ntarget = "127.0.0.1"\n')
    dead = f'unix://{tmp_path}/dead.sock'
    with running_console(tmp_path / 'data', DOCKER_HOST=dead, HOMELAB_CONFIG=str(config)) as console:
        logged(console, rf'^.* INFO app\.system: config {re.escape(str(config))}: 1 stack\(s\), 1 probe\(s\)')
        logged(console, r'^.* WARNING ops\.world\.observer: engine unreachable: the Docker socket does not exist')


def test_a_drift_fixed_by_policy_is_logged_run_by_run_and_the_engine_coming_and_going(tmp_path: Path) -> None:
    require_engine()
    stack = unique('hl-log')
    repo = tmp_path / 'repo'
    init_repo(repo)
    write_stack(repo, {'app': {'environment': {'API_TOKEN': 'tok-' + secrets.token_hex(8)}}})
    commit(repo, 'the stack')
    config = tmp_path / 'homelab.toml'
    config.write_text(
        f'[stacks.{stack}]\nfiles = ["compose.yml"]\nauto_approve = ["stopped"]\n\n[drift]\nsettle_seconds = 0\n'
    )
    storage_secret = secrets.token_urlsafe(48)
    proxy = EngineProxy(tmp_path / 'engine.sock')
    proxy.start()
    client = docker_client()
    try:
        assert asyncio.run(Compose(docker_host=engine_url()).up(stack, ['compose.yml'], repo)).ok
        with running_console(
            tmp_path / 'data',
            DOCKER_HOST=proxy.url,
            HOMELAB_ENV='prod',
            HOMELAB_STORAGE_SECRET=storage_secret,
            HOMELAB_REPO_DIR=str(repo),
            HOMELAB_CONFIG=str(config),
        ) as console:
            logged(console, r'^.* INFO ops\.world\.observer: engine reachable: Docker \S+')
            client.api.stop(f'{stack}-app-1', timeout=1)

            found = logged(console, rf'^.* INFO ops\.world\.supervisor: drift found: {stack}/app stopped \(\S+\)$')
            action = logged(console, rf'^.* INFO ops\.world\.actions: action=(\d+) proposed: .*{stack}/app').group(1)
            approved = logged(console, rf'^.* action={action} approved: .* by supervisor \(auto-approve policy\)')
            run = logged(console, r'^.* INFO ops\.manager: run=(\d+) stack_service_up started by supervisor').group(1)
            logged(console, rf'^.* INFO ops\.manager: run={run} stack_service_up finished: succeeded in [\d.]+ s$')
            logged(console, rf'^.* action={action} done: .* run={run}')
            resolved = logged(console, rf'^.* INFO ops\.world\.supervisor: drift resolved: {stack}/app stopped')
            assert found.start() < approved.start() < resolved.start()

            write_stack(repo, {'app': {'environment': {'API_TOKEN': 'tok-' + secrets.token_hex(8)}}})
            commit(repo, 'a new token')
            logged(console, r'^.* INFO ops\.world\.supervisor: stack files changed in the repository')
            logged(console, rf'^.* INFO ops\.world\.supervisor: drift found: {stack}/app config ')
            logged(console, rf'^.* INFO ops\.world\.actions: action=\d+ proposed: \S+ for {stack}/app \(config\)')

            proxy.stop()
            logged(console, r'^.* WARNING ops\.world\.observer: engine lost: .*$')
            proxy.start()
            logged(console, r'^.* INFO ops\.world\.observer: engine back: Docker \S+')

            text = console.log()
            assert 'Traceback' not in text, text
            assert storage_secret not in text and 'tok-' not in text  # neither the console's nor a stack's secrets
    finally:
        proxy.stop()
        remove_project(stack)
        client.close()
