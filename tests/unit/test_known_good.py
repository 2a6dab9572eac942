"""Known-good states: what a recreate replaced is recorded (masked, by digest), and which states are offered back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ops.docker.compose import UpResult
from ops.docker.details import ImageRef, details_from_inspect
from ops.maintenance.known_good import (
    KEEP,
    ServiceState,
    digest_of,
    known_good,
    record_replaced,
    settings_diff,
    state_of,
)
from ops.maintenance.records import KnownGood

REPO = 'localhost:5000/homelab-dev/app'
V1 = f'{REPO}@sha256:' + '11' * 32
IMAGE_ID = 'sha256:' + 'aa' * 32


def _inspect(
    *,
    env: list[str],
    status: str = 'running',
    health: str | None = 'healthy',
    started: str = '2026-01-01T00:00:00.123456789Z',
    restarts: int = 0,
) -> dict[str, Any]:
    state: dict[str, Any] = {'Status': status, 'ExitCode': 0, 'StartedAt': started}
    if health:
        state['Health'] = {'Status': health, 'FailingStreak': 0, 'Log': []}
    return {
        'Id': 'c' * 64,
        'Name': '/media-app-1',
        'Image': IMAGE_ID,
        'Config': {
            'Image': f'{REPO}:stable',
            'Env': env,
            'Labels': {
                'com.docker.compose.project': 'media',
                'com.docker.compose.service': 'app',
                'com.docker.compose.config-hash': 'f' * 64,
            },
        },
        'State': state,
        'RestartCount': restarts,
        'HostConfig': {'RestartPolicy': {'Name': 'unless-stopped'}},
    }


def _state(service: str, *, digest: str = V1, healthy: bool = True) -> ServiceState:
    return ServiceState(
        stack='media',
        service=service,
        container_name=f'media-{service}-1',
        image=f'{REPO}:stable',
        digest=digest,
        image_id=IMAGE_ID,
        config_hash='f' * 64,
        settings={'environment': {'LEVEL': '1'}},
        healthy=healthy,
    )


def test_the_digest_is_the_one_of_the_repository_the_service_names_else_the_local_image_id() -> None:
    other = 'mirror.example/app@sha256:' + '22' * 32
    assert digest_of(f'{REPO}:stable', [other, V1], IMAGE_ID) == V1
    assert digest_of('busybox:1.36', ['busybox@sha256:' + '33' * 32], IMAGE_ID) == 'busybox@sha256:' + '33' * 32
    assert digest_of('docker.io/library/busybox:1.36', ['busybox@sha256:' + '33' * 32], IMAGE_ID).startswith('busy')
    assert digest_of('busybox:1.36', [other], IMAGE_ID) == IMAGE_ID  # built or imported here: the id


def test_a_state_keeps_settings_masked_and_says_whether_it_ran_well() -> None:
    details = details_from_inspect(
        _inspect(env=['LEVEL=1', 'DB_PASSWORD=hunter2', 'DSN=postgres://app:pw@db/app']), None
    )
    state = state_of('media', 'app', details, ImageRef(id=IMAGE_ID, repo_digests=(V1,)))
    assert state.digest == V1 and state.image_id == IMAGE_ID and state.config_hash == 'f' * 64
    assert state.healthy
    assert 'hunter2' not in repr(state.settings) and 'pw@' not in repr(state.settings)
    assert state.settings['environment']['LEVEL'] == '1'
    assert state.settings['restart_policy'] == 'unless-stopped'
    unhealthy = details_from_inspect(_inspect(env=[], health='unhealthy'), None)
    assert not state_of('media', 'app', unhealthy, None).healthy
    exited = details_from_inspect(_inspect(env=[], status='exited', health=None), None)
    assert not state_of('media', 'app', exited, None).healthy
    no_check = details_from_inspect(_inspect(env=[], health=None), None)
    assert state_of('media', 'app', no_check, None).healthy  # running, and nothing says otherwise


def test_a_crash_looping_or_just_started_container_did_not_run_well() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    long_ago = '2026-06-01T11:00:00.5Z'

    def healthy(**kwargs: Any) -> bool:
        return state_of('media', 'app', details_from_inspect(_inspect(env=[], **kwargs), None), None, now=now).healthy

    assert healthy(started=long_ago)
    assert healthy(started='2026-06-01T11:59:30Z', health=None)  # up 30 s: long enough
    # restart: always, between two deaths: running, no failing healthcheck, restarted by the engine, up briefly
    assert not healthy(started='2026-06-01T11:58:00Z', health=None, restarts=3)
    # restarted by the engine once, long ago, and running well for an hour since: a good state to go back to
    assert healthy(started=long_ago, health=None, restarts=3)
    assert not healthy(started='2026-06-01T11:59:55.000000001Z', health=None)  # up 5 s: too soon to say
    assert not healthy(started='0001-01-01T00:00:00Z', health=None)  # never started, as the engine says it
    assert not healthy(started=long_ago, health='starting')


async def test_only_the_services_compose_recreated_are_recorded(store: None) -> None:
    before = {'app': _state('app'), 'db': _state('db'), 'cache': _state('cache')}
    up = UpResult(
        project='media',
        ok=True,
        returncode=0,
        timed_out=False,
        lines=(),
        steps={
            'app': ('Recreate', 'Recreated', 'Starting', 'Started'),
            'db': ('Running',),
            'new': ('Creating', 'Created', 'Starting', 'Started'),  # no state before it: nothing was replaced
            'cache': ('Starting', 'Started'),  # started again, not replaced
        },
    )
    rows = await record_replaced(before, up, run_id=7)
    assert [(row.service, row.digest, row.run_id) for row in rows] == [('app', V1, 7)]
    stored = await KnownGood.get(id=rows[0].id)
    assert stored.settings == {'environment': {'LEVEL': '1'}} and stored.healthy


async def test_the_states_offered_back_are_the_newest_that_ran_well(store: None) -> None:
    up = UpResult(project='media', ok=True, returncode=0, timed_out=False, lines=(), steps={'app': ('Recreated',)})
    for number in range(7):
        digest = f'{REPO}@sha256:{number:02d}' + '0' * 62
        await record_replaced({'app': _state('app', digest=digest, healthy=number != 5)}, up, run_id=number)
    web = UpResult(project='media', ok=True, returncode=0, timed_out=False, lines=(), steps={'web': ('Recreated',)})
    await record_replaced({'web': _state('web')}, web, run_id=9)
    offered = await known_good('media', 'app', limit=3)
    assert [row.run_id for row in offered] == [6, 4, 3]  # newest first, the unhealthy one (5) left out


def test_the_settings_diff_says_what_going_back_changes() -> None:
    rows = settings_diff(
        {'environment': {'LEVEL': '2', 'NEW': 'x'}, 'restart_policy': 'always'},
        {'environment': {'LEVEL': '1'}, 'restart_policy': 'always'},
    )
    assert rows == [
        {'setting': 'environment LEVEL', 'running': '2', 'wanted': '1'},
        {'setting': 'environment NEW', 'running': 'x', 'wanted': None},
    ]


async def test_a_recreate_that_cannot_be_recorded_still_counts_as_done() -> None:
    up = UpResult(project='media', ok=True, returncode=0, timed_out=False, lines=(), steps={'app': ('Recreated',)})
    assert await record_replaced({'app': _state('app')}, up, run_id=1) == []  # no store open: logged, not raised


async def test_only_the_newest_states_of_a_service_are_kept(store: None) -> None:
    up = UpResult(project='media', ok=True, returncode=0, timed_out=False, lines=(), steps={'app': ('Recreated',)})
    for number in range(KEEP + 3):
        await record_replaced({'app': _state('app')}, up, run_id=number)
    await record_replaced({'db': _state('db')}, UpResult(**{**_fields(up), 'steps': {'db': ('Recreated',)}}), run_id=0)
    runs = await KnownGood.filter(service='app').order_by('run_id').values_list('run_id', flat=True)
    assert runs == list(range(3, KEEP + 3))
    assert await KnownGood.filter(service='db').count() == 1


def _fields(up: UpResult) -> dict[str, Any]:
    return {name: getattr(up, name) for name in ('project', 'ok', 'returncode', 'timed_out', 'lines', 'steps')}
