"""Alerts on the real dev stack, told to a real HTTP receiver through apprise: a container killed behind the
console's back alerts within 30 s and resolves once it runs again; a restart through the console (the CLI, another
process) raises nothing; an always-unhealthy container is one alert; ten containers of a stack stopping together
are one message; a receiver down for 20 s gets the message once it is back; the channel's secret shows nowhere."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker.errors
import pytest

from app.settings import Settings
from app.system import System
from ops.alerts.records import Alert, AlertState
from ops.alerts.rules import Rule
from ops.config import AlertsConfig, ChannelConfig, HomelabConfig, NotifyConfig, StackConfig
from ops.docker.labels import PROJECT_LABEL, SERVICE_LABEL
from ops.notify.outbox import MessageState, OutboxMessage
from ops.store.models import AuditEvent
from ops.summary import build_summary
from ops.world.event_journal import EventJournal
from tests.helpers.console import HOMELAB, REPO, console_env
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, engine_url, unique, wait_healthy
from tests.helpers.notify_peers import HttpReceiver, Post
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for_async

WEB = 'homelab-dev-web-1'
SICK = 'homelab-dev-sick-1'
SECRET = 'alertT0kenQ7x'


def alerting(tmp_path: Path, receiver: HttpReceiver) -> System:
    settings = Settings(data_dir=tmp_path / 'data', repo_dir=REPO, docker_host=engine_url(), env='dev')
    config = HomelabConfig(
        stacks={'homelab-dev': StackConfig(files=['compose.dev.yml'])},
        notify=NotifyConfig(
            channels={'hook': ChannelConfig(url=f'json://127.0.0.1:{receiver.port}/{SECRET}')},  # type: ignore[arg-type]
            first_retry=1,
            max_retry=3,
        ),
        alerts=AlertsConfig(group_window='3s'),
    )
    system = System(settings, config)
    system.container_alerts.steady = 3.0  # a container counts as back after 3 s of running (30 s by default)
    return system


@pytest.fixture
async def console(tmp_path: Path, http: HttpReceiver) -> AsyncIterator[System]:
    require_dev_stack()
    system = alerting(tmp_path, http)
    await system.start()
    try:
        await wait_for_async(lambda: system.observer.engine_state.reachable, timeout=30, what='the engine')
        yield system
    finally:
        await system.stop()


@pytest.fixture
def web_comes_back() -> Iterator[None]:
    """Whatever the test does to web, it is running and healthy again afterwards (other tests use it)."""
    yield
    with contextlib.suppress(docker.errors.APIError):
        docker_client().api.start(WEB)
    wait_healthy(WEB, timeout=60)


def titled(posts: list[Post], title: str) -> list[Post]:
    return [post for post in posts if post.json()['title'] == title]


def telling(posts: list[Post], label: str, name: str, *, resolved: bool = False) -> list[Post]:
    """The messages of one rule about `name`: alone in the title, or listed in a burst's message (the dev stack's
    own flaky container may stop in the same few seconds, and a burst is one message)."""
    prefix = f'{"Resolved: " if resolved else ""}{label}: '
    return [
        post
        for post in posts
        if post.json()['title'] == prefix + name
        or (post.json()['title'].startswith(prefix) and f'- {name}:' in post.json()['message'])
    ]


async def arrives(receiver: HttpReceiver, title: str, timeout: float) -> Post:
    found = await wait_for_async(lambda: titled(receiver.posts, title), timeout=timeout, what=f'"{title}"')
    return found[0]


async def told(receiver: HttpReceiver, label: str, name: str, *, resolved: bool = False, timeout: float) -> Post:
    found = await wait_for_async(
        lambda: telling(receiver.posts, label, name, resolved=resolved), timeout=timeout, what=f'{label} of {name}'
    )
    return found[0]


async def assert_secret_nowhere(system: System, logged: str) -> None:
    """The channel's secret is in no /summary, alert, audit event, outbox row (errors included), journal line or
    log line."""
    summary = await build_summary(
        system.observer, system.host_signals.report, drifts=system.supervisor.drifts, alerts=system.alerts.open_alerts()
    )
    assert summary['alerts'], 'the summary lists the open alerts'
    stored = [json.dumps(a.evidence) + a.summary + a.resolution for a in await Alert.all()]
    stored += [str(e.detail) for e in await AuditEvent.all()]
    stored += [f'{m.title} {m.body} {m.last_error}' for m in await OutboxMessage.all()]
    await system.journal.flush()
    journal = ''.join(path.read_text() for path in (system.settings.data_dir / 'events').rglob('*.jsonl'))
    assert SECRET not in json.dumps(summary, default=str) + ''.join(stored) + journal + logged


def journal_records(system: System) -> list[dict[str, object]]:
    return list(EventJournal.read(system.settings.data_dir / 'events'))


async def test_a_kill_behind_the_consoles_back_alerts_within_30_s_and_resolves_when_it_runs_again(
    console: System, http: HttpReceiver, web_comes_back: None
) -> None:
    killed_at = time.monotonic()
    await asyncio.to_thread(docker_client().api.kill, WEB)
    opened = await told(http, 'Unplanned stop', WEB, timeout=30)
    assert time.monotonic() - killed_at < 30
    body = opened.json()
    assert f'{WEB} stopped unexpectedly, exit code 137' in body['message'] and body['type'] == 'warning'

    outcome = await console.manager.run('docker_start', {'container': WEB}, actor='ui:admin', origin='ui')
    assert outcome.succeeded, outcome.error
    resolved = await told(http, 'Unplanned stop', WEB, resolved=True, timeout=60)
    assert f'{WEB} has been running again' in resolved.json()['message']
    assert len(telling(http.posts, 'Unplanned stop', WEB)) == 1
    alert = await Alert.get(rule=Rule.CONTAINER_EXITED, target=WEB)
    assert alert.state is AlertState.RESOLVED and alert.evidence['exit_code'] == 137

    async def journaled() -> set[object]:
        await console.journal.flush()
        return {r.get('kind') for r in journal_records(console) if r.get('source') == 'alert'}

    await wait_for_async(lambda: journaled(), timeout=10, what='the alert in the event journal')
    assert {'opened', 'resolved'} <= await journaled()

    await assert_secret_nowhere(console, '')


async def test_a_restart_through_the_console_from_the_cli_raises_no_stop_alert(
    console: System, http: HttpReceiver, web_comes_back: None
) -> None:
    env = console_env(console.settings.data_dir, HOMELAB_ENV='dev')
    result = await asyncio.to_thread(
        subprocess.run,
        [*HOMELAB, 'ops', 'run', 'docker_restart', f'container={WEB}', '--json'],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run_id = json.loads(result.stdout)['run_id']

    async def planned() -> list[dict[str, object]]:
        await console.journal.flush()
        return [r for r in journal_records(console) if r.get('kind') == 'planned' and r.get('name') == WEB]

    found = await wait_for_async(planned, timeout=30, what='the stop found planned by the CLI run')
    assert found[0]['run_id'] == run_id
    await console.alert_messages.flush(due_only=False)
    await console.notify_sender.send_due()
    assert await Alert.filter(target=WEB).count() == 0
    assert not [post for post in http.posts if WEB in post.json()['title'] + post.json()['message']]


async def test_an_always_unhealthy_container_is_one_alert_not_one_per_healthcheck(
    console: System, http: HttpReceiver
) -> None:
    await arrives(http, f'Unhealthy: {SICK}', timeout=30)
    streak = docker_client().api.inspect_container(SICK)['State']['Health']['FailingStreak']

    def failed_three_more_checks() -> bool:
        return docker_client().api.inspect_container(SICK)['State']['Health']['FailingStreak'] >= streak + 3

    await wait_for_async(failed_three_more_checks, timeout=30, what='three more failed healthchecks')
    await console.alert_messages.flush(due_only=False)
    await console.notify_sender.send_due()
    assert len(titled(http.posts, f'Unhealthy: {SICK}')) == 1
    alert = await Alert.get(rule=Rule.CONTAINER_UNHEALTHY, target=SICK, state=AlertState.OPEN)
    assert 'dependency unreachable' in str(alert.evidence.get('health_output'))


@pytest.fixture
def burst_stack() -> Iterator[tuple[str, list[str]]]:
    """Ten running containers labelled as one Compose project (not managed by the console), removed afterwards."""
    client = docker_client()
    project = unique('hl-burst')
    names = [f'{project}-app{index}-1' for index in range(10)]
    try:
        for index, name in enumerate(names):
            client.api.create_container(
                BASE_IMAGE,
                ['sleep', '3600'],
                name=name,
                labels={PROJECT_LABEL: project, SERVICE_LABEL: f'app{index}', 'homelab.test': 'true'},
                host_config=client.api.create_host_config(init=True),
            )
            client.api.start(name)
        yield project, names
    finally:
        for name in names:
            with contextlib.suppress(docker.errors.NotFound):
                client.api.remove_container(name, force=True)


async def test_ten_containers_of_a_stack_stopping_together_are_one_message(
    console: System, http: HttpReceiver, burst_stack: tuple[str, list[str]]
) -> None:
    project, names = burst_stack
    await wait_for_async(
        lambda: {c.name for c in console.observer.containers.values()} >= set(names), timeout=30, what='all ten seen'
    )
    with ThreadPoolExecutor(10) as pool:
        await asyncio.gather(
            *(asyncio.get_running_loop().run_in_executor(pool, lambda n=name: docker_client().api.stop(n, timeout=1))
              for name in names)
        )  # fmt: skip
    grouped = await arrives(http, f'Unplanned stop: 10 in {project}', timeout=30)
    assert all(name in grouped.json()['message'] for name in names)
    await console.alert_messages.flush(due_only=False)
    await console.notify_sender.send_due()
    assert not [post for post in http.posts if project in post.json()['title'] and post is not grouped]


async def test_a_receiver_down_for_20_s_gets_the_alert_once_it_is_back(
    tmp_path: Path, web_comes_back: None, caplog: pytest.LogCaptureFixture
) -> None:
    require_dev_stack()
    caplog.set_level(logging.DEBUG)
    receiver = HttpReceiver()  # its port, nobody listening yet
    system = alerting(tmp_path, receiver)
    await system.start()
    try:
        await wait_for_async(lambda: system.observer.engine_state.reachable, timeout=30, what='the engine')
        down_since = time.monotonic()
        await asyncio.to_thread(docker_client().api.kill, WEB)

        async def tried_while_down() -> bool:
            messages = await about_web()
            return bool(messages) and messages[0].attempts >= 2 and time.monotonic() - down_since >= 20

        async def about_web() -> list[OutboxMessage]:
            queued = await OutboxMessage.filter(title__startswith='Unplanned stop: ').order_by('id')
            return [m for m in queued if m.title == f'Unplanned stop: {WEB}' or f'- {WEB}:' in m.body]

        await wait_for_async(tried_while_down, timeout=60, what='20 s down and the message tried meanwhile')
        message = (await about_web())[0]
        assert message.state is MessageState.PENDING and 'Connection' in (message.last_error or '')
        receiver.start()
        await told(receiver, 'Unplanned stop', WEB, timeout=30)

        async def sent() -> bool:
            return (await OutboxMessage.get(id=message.id)).state is MessageState.SENT

        await wait_for_async(sent, timeout=30, what='the message marked sent')
        await system.notify_sender.send_due()
        assert len(telling(receiver.posts, 'Unplanned stop', WEB)) == 1
        # The failed attempts' reasons named the receiver's URL: scrubbed everywhere they went.
        await assert_secret_nowhere(system, '\n'.join(r.getMessage() for r in caplog.records))
    finally:
        await system.stop()
        receiver.stop()
