"""The console's override file of a stack: what it says, how it is written, and that every Compose call reads it."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pytest

from app.system import adapters_for
from ops.clock import utc_now
from ops.config import HomelabConfig, StackConfig
from ops.docker.compose import Compose, ComposeError
from ops.docker.engine import Engine
from ops.maintenance.overrides import render_override, write_override
from ops.maintenance.pins import active_pins, stale_pins, sync_all_overrides, sync_override
from ops.maintenance.records import RollbackPin
from ops.proc import ProcResult
from ops.world.desired import files_fingerprint

DIGEST = 'localhost:5000/homelab-dev/app@sha256:' + 'ab' * 32


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / 'repo'
    repo.mkdir()
    (repo / 'compose.yml').write_text('services:\n  app:\n    image: localhost:5000/homelab-dev/app:stable\n')
    return repo


def test_the_override_names_each_pinned_service_by_digest_and_nothing_else() -> None:
    text = render_override({'web': DIGEST, 'db': 'sha256:' + 'cd' * 32})
    assert text.startswith('# Written by the homelab console')
    body = [line for line in text.splitlines() if not line.startswith('#')]
    assert body == [
        'services:',
        '  "db":',
        f'    image: "sha256:{"cd" * 32}"',
        '  "web":',
        f'    image: "{DIGEST}"',
    ]


def test_the_override_is_private_replaced_whole_and_removed_with_the_last_pin(tmp_path: Path) -> None:
    path = tmp_path / 'data' / 'overrides' / 'media.yml'
    assert write_override(path, {'web': DIGEST})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert DIGEST in path.read_text()
    assert not [p for p in path.parent.iterdir() if p.name != 'media.yml']  # no temporary file left behind
    assert not write_override(path, {})
    assert not path.exists()
    assert not write_override(path, {})  # nothing pinned, nothing there: fine


def test_a_symlink_where_the_override_goes_is_replaced_never_written_through(tmp_path: Path) -> None:
    target = tmp_path / 'elsewhere.yml'
    target.write_text('untouched\n')
    path = tmp_path / 'overrides' / 'media.yml'
    path.parent.mkdir()
    path.symlink_to(target)
    write_override(path, {'web': DIGEST})
    assert target.read_text() == 'untouched\n'
    assert not path.is_symlink() and DIGEST in path.read_text()


async def declares_app(project: str, files: Sequence[str], repo_dir: Path, *, timeout: float = 60) -> frozenset[str]:
    return frozenset({'app'})


async def test_every_compose_call_of_the_stack_reads_its_override_last(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    overrides = tmp_path / 'overrides'
    compose = Compose(['echo'], overrides=overrides)  # `echo` prints the arguments Compose would get
    compose.declared_services = declares_app  # type: ignore[method-assign]  # what Compose would read in the files
    without = await compose.config('media', ['compose.yml'], repo)
    assert '--file' in without and str(overrides) not in without

    write_override(overrides / 'media.yml', {'app': DIGEST})
    argv = (await compose.config('media', ['compose.yml'], repo)).split()
    files = [argv[i + 1] for i, word in enumerate(argv) if word == '--file']
    assert files == [str(repo / 'compose.yml'), str(overrides / 'media.yml')]
    other = await compose.config('other', ['compose.yml'], repo)
    assert str(overrides) not in other  # one stack's pins are not another's


async def test_an_override_that_is_a_symlink_stops_the_stack_with_a_reason(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    overrides = tmp_path / 'overrides'
    overrides.mkdir()
    (tmp_path / 'planted.yml').write_text('services: {}\n')
    (overrides / 'media.yml').symlink_to(tmp_path / 'planted.yml')
    with pytest.raises(ComposeError, match='not a regular file'):
        await Compose(['echo'], overrides=overrides).config('media', ['compose.yml'], repo)


def test_the_console_builds_compose_with_the_data_directorys_overrides(tmp_path: Path) -> None:
    adapters = adapters_for(Engine('unix:///nonexistent.sock'), HomelabConfig(), data_dir=tmp_path, repo_dir=tmp_path)
    assert adapters.compose.override_path('media') == tmp_path / 'overrides' / 'media.yml'


def test_a_pin_or_its_release_changes_the_files_fingerprint(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    config = HomelabConfig(stacks={'media': StackConfig(files=['compose.yml'])})
    adapters = adapters_for(Engine('unix:///nonexistent.sock'), config, data_dir=tmp_path / 'data', repo_dir=repo)
    unpinned = files_fingerprint(adapters, 'media')
    write_override(tmp_path / 'data' / 'overrides' / 'media.yml', {'app': DIGEST})
    pinned = files_fingerprint(adapters, 'media')
    assert pinned != unpinned
    write_override(tmp_path / 'data' / 'overrides' / 'media.yml', {})
    assert files_fingerprint(adapters, 'media') == unpinned


async def test_at_start_each_stacks_override_says_what_its_active_pins_say(store: None, tmp_path: Path) -> None:
    config = HomelabConfig(stacks={name: StackConfig(files=['compose.yml']) for name in ('media', 'tools')})
    adapters = adapters_for(Engine('unix:///nonexistent.sock'), config, data_dir=tmp_path, repo_dir=tmp_path)
    await RollbackPin.create(stack='media', service='app', image='app:2', digest=DIGEST, pinned_by='ui:admin')
    await RollbackPin.create(stack='tools', service='x', image='x:2', digest=DIGEST, pinned_by='ui:admin',
                             released_at=utc_now(), released_by='ui:admin')  # fmt: skip
    stale = tmp_path / 'overrides' / 'tools.yml'
    write_override(stale, {'x': DIGEST})  # left behind: its pin was released
    await sync_all_overrides(adapters)
    assert DIGEST in (tmp_path / 'overrides' / 'media.yml').read_text()
    assert not stale.exists()


async def test_a_pinned_service_gone_from_the_files_never_comes_back_from_the_override(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    config = HomelabConfig(stacks={'media': StackConfig(files=['compose.yml'])})
    adapters = adapters_for(Engine('unix:///nonexistent.sock'), config, data_dir=tmp_path, repo_dir=repo)
    path = tmp_path / 'overrides' / 'media.yml'
    write_override(path, {'app': DIGEST, 'gone': DIGEST})  # written while the files still declared `gone`
    compose, files = adapters.compose, ['compose.yml']
    rendered = (await compose.rendered('media', files, repo))['services']
    assert sorted(rendered) == ['app'] and rendered['app']['image'] == DIGEST  # the pin of `app` still holds
    assert sorted(await compose.config_hashes('media', files, repo)) == ['app']
    write_override(path, {'gone': DIGEST})  # nothing left that the files declare: no override at all
    assert sorted((await compose.rendered('media', files, repo))['services']) == ['app']
    assert await compose.declared_services('media', files, repo) == {'app'}


async def test_the_override_is_written_for_declared_services_and_a_stale_pin_is_shown(
    store: None, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    config = HomelabConfig(stacks={'media': StackConfig(files=['compose.yml'])})
    adapters = adapters_for(Engine('unix:///nonexistent.sock'), config, data_dir=tmp_path, repo_dir=repo)
    path = tmp_path / 'overrides' / 'media.yml'
    for service in ('app', 'gone'):
        await RollbackPin.create(stack='media', service=service, image='x', digest=DIGEST, pinned_by='ui:admin')
    assert await sync_override(adapters, 'media')
    assert '"gone"' not in path.read_text() and '"app"' in path.read_text()
    assert await stale_pins(adapters, await active_pins('media')) == {('media', 'gone')}  # shown, to be released

    await RollbackPin.filter(service='app').update(released_at=utc_now(), released_by='ui:admin')
    assert not await sync_override(adapters, 'media')  # only the stale pin is left: no override at all
    assert not path.exists()


async def test_the_pin_of_a_profile_gated_service_holds(tmp_path: Path) -> None:
    # A service behind a profile is started by name (Compose turns its profile on): it is the stack's, and its pin
    # must reach Compose like any other, or `compose up -d extra` recreates it on the image that failed.
    repo = tmp_path / 'repo'
    repo.mkdir()
    (repo / 'compose.yml').write_text(
        'services:\n'
        '  app:\n    image: localhost:5000/homelab-dev/app:stable\n'
        '  extra:\n    image: localhost:5000/homelab-dev/extra:2\n    profiles: [tools]\n'
    )
    config = HomelabConfig(stacks={'media': StackConfig(files=['compose.yml'])})
    adapters = adapters_for(Engine('unix:///nonexistent.sock'), config, data_dir=tmp_path, repo_dir=repo)
    compose, files = adapters.compose, ['compose.yml']
    assert await compose.declared_services('media', files, repo) == {'app', 'extra'}
    write_override(tmp_path / 'overrides' / 'media.yml', {'extra': DIGEST})
    rendered = (await compose.rendered('media', files, repo, all_profiles=True))['services']
    assert rendered['extra']['image'] == DIGEST


class FakeRuns:
    """Stands in for run_process: `compose config --format json` (what the files declare) answers `declared` after
    `config_seconds`, or times out / fails as told; every other call succeeds. Each call's timeout is kept."""

    def __init__(self, declared: str = '{"services": {"app": {}}}', config_seconds: float = 0.0) -> None:
        self.declared = declared
        self.config_seconds = config_seconds
        self.config_fails: Literal['', 'timeout', 'exit'] = ''
        self.calls: list[tuple[str, float]] = []

    async def __call__(self, argv: Sequence[str], *, timeout: float, **_: object) -> ProcResult:
        reading = '--format' in argv and 'json' in argv
        self.calls.append(('declared' if reading else argv[-1], timeout))
        if not reading:
            return ProcResult(argv=tuple(argv), returncode=0, lines=('done',), dropped=0, timed_out=False)
        await asyncio.sleep(self.config_seconds)  # how long Compose took to read the files
        if self.config_fails == 'timeout':
            return ProcResult(argv=tuple(argv), returncode=None, lines=(), dropped=0, timed_out=True)
        if self.config_fails == 'exit':
            lines: tuple[str, ...] = ('service "app" refers to undefined network nowhere',)
            return ProcResult(argv=tuple(argv), returncode=1, lines=lines, dropped=0, timed_out=False)
        return ProcResult(argv=tuple(argv), returncode=0, lines=(self.declared,), dropped=0, timed_out=False)


def pinned_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runs: FakeRuns) -> tuple[Compose, Path]:
    repo = _repo(tmp_path)
    overrides = tmp_path / 'overrides'
    write_override(overrides / 'media.yml', {'app': DIGEST, 'gone': DIGEST})
    monkeypatch.setattr('ops.docker.compose.run_process', runs)
    return Compose(['compose'], overrides=overrides), repo


async def test_reading_what_the_files_declare_comes_out_of_the_calls_own_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = FakeRuns(config_seconds=0.2)
    compose, repo = pinned_stack(tmp_path, monkeypatch, runs)
    result = await compose.up('media', ['compose.yml'], repo, timeout=600)
    assert result.ok
    [(first, read_timeout), (second, up_timeout)] = runs.calls
    assert (first, second) == ('declared', '--remove-orphans')  # the last word of `up`
    assert read_timeout <= 60  # a short read, not the whole 600 s again
    assert up_timeout <= 600 - 0.2  # what the read took is not given to `up` a second time


@pytest.mark.parametrize('failure', ['timeout', 'exit'])
async def test_a_pinned_stack_whose_files_cannot_be_read_is_not_run_without_its_pins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Literal['timeout', 'exit']
) -> None:
    runs = FakeRuns()
    runs.config_fails = failure
    compose, repo = pinned_stack(tmp_path, monkeypatch, runs)
    with pytest.raises(ComposeError, match='rollback pins cannot be applied safely: not run'):
        await compose.up('media', ['compose.yml'], repo, timeout=600)
    # `up` never ran, with or without the override (a refusal, unlike a time-out, is read once more without profiles)
    reads = ['declared'] if failure == 'timeout' else ['declared', 'declared']
    assert [what for what, _ in runs.calls] == reads


async def test_a_profile_only_file_left_out_of_the_repository_does_not_refuse_a_pinned_stack(tmp_path: Path) -> None:
    # With every profile on Compose also wants a profile-gated service's env_file (often git-ignored); a normal call
    # does not. Reading what the files declare must not turn that into "pins cannot be applied": the stack runs.
    repo = tmp_path / 'repo'
    repo.mkdir()
    (repo / 'compose.yml').write_text(
        'services:\n'
        '  app:\n    image: localhost:5000/homelab-dev/app:stable\n'
        '  debug:\n    image: localhost:5000/homelab-dev/debug:1\n    profiles: [debug]\n    env_file: .env.debug\n'
    )
    config = HomelabConfig(stacks={'media': StackConfig(files=['compose.yml'])})
    adapters = adapters_for(Engine('unix:///nonexistent.sock'), config, data_dir=tmp_path, repo_dir=repo)
    compose, files = adapters.compose, ['compose.yml']
    write_override(tmp_path / 'overrides' / 'media.yml', {'app': DIGEST, 'debug': DIGEST})
    assert await compose.declared_services('media', files, repo) == {'app', 'debug'}
    rendered = (await compose.rendered('media', files, repo))['services']
    assert sorted(rendered) == ['app'] and rendered['app']['image'] == DIGEST
