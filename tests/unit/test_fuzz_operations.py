"""Hypothesis fuzzing of every catalog operation's arguments, through the manager and through the CLI.

Every malformed request must be refused with a message and an audit record, and must never reach
Docker or a subprocess (tripwires on the engine client and on subprocess creation prove it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app import cli
from app.cli.ops import parse_arguments
from app.system import adapters_for
from ops.catalog import catalog
from ops.config import HomelabConfig
from ops.docker.engine import Engine
from ops.manager import Manager
from ops.runs import RunState
from ops.store.db import close_store, open_store
from ops.store.models import AuditEvent
from ops.store.owners import OwnerLock

NASTY = st.sampled_from(
    [
        'web;rm -rf /',
        '$(id)',
        '`id`',
        '../../etc/passwd',
        '/etc/shadow',
        'a|b',
        'a&&b',
        '\n',
        '\x00',
        '-rf',
        '--privileged',
        "'; DROP TABLE runs; --",
        '<script>alert(1)</script>',
        'x' * 5000,
        '',
        ' ',
        '☃',
        '*',
    ]
)
VALUES = st.one_of(
    NASTY,
    st.text(max_size=60),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
NAMES = st.sampled_from(catalog().names())


def arguments_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = list(catalog().get(name).params.model_fields) if name in catalog() else []  # type: ignore[union-attr]
    keys = st.one_of(st.sampled_from(fields or ['x']), NASTY, st.text(max_size=12))
    return st.dictionaries(keys, VALUES, max_size=4)


def is_valid(name: str, raw: dict[str, Any]) -> bool:
    spec = catalog().get(name)
    if spec is None:
        return False
    try:
        spec.params.model_validate(raw)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


class Tripwires:
    def __init__(self) -> None:
        self.engine_calls = 0
        self.processes = 0


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> Tripwires:
    wires = Tripwires()

    def no_engine(self: Engine) -> Any:
        wires.engine_calls += 1
        raise AssertionError('the engine was reached')

    async def no_process(*args: Any, **kwargs: Any) -> Any:
        wires.processes += 1
        raise AssertionError('a subprocess was started')

    monkeypatch.setattr(Engine, 'client', no_engine)
    monkeypatch.setattr(asyncio, 'create_subprocess_exec', no_process)
    return wires


@pytest.fixture
async def manager(tmp_path: Path) -> AsyncIterator[Manager]:
    await open_store(tmp_path / 'data' / 'homelab.sqlite3')
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    adapters = adapters_for(
        Engine('unix:///nonexistent'), HomelabConfig(), data_dir=tmp_path / 'data', repo_dir=tmp_path
    )
    try:
        yield Manager(adapters, owner=owner, registry=catalog())
    finally:
        owner.release()
        await close_store()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_malformed_requests_are_refused_audited_and_never_executed(
    manager: Manager, tripwires: Tripwires, data: st.DataObject
) -> None:
    name = data.draw(st.one_of(NAMES, NASTY, st.text(max_size=20)), label='operation')
    raw = data.draw(arguments_for(name), label='arguments')
    if is_valid(name, raw):
        return  # well-formed: the other tests cover what happens next
    before = (tripwires.engine_calls, tripwires.processes)
    outcome = await manager.run(name, raw, actor='fuzz', origin='test')
    assert outcome.state is RunState.REJECTED
    assert outcome.error and ('invalid arguments' in outcome.error or 'unknown operation' in outcome.error)
    assert (tripwires.engine_calls, tripwires.processes) == before
    final = await AuditEvent.filter(run_id=outcome.run_id).order_by('-id').first()
    assert final is not None and final.kind == 'rejected' and final.detail['error'] == outcome.error


@pytest.mark.parametrize(
    ('argv', 'message'),
    [
        (['docker_restart', 'container=web;rm -rf /'], 'container'),
        (['docker_restart', 'container=x;id'], 'container'),
        (['host_journal', 'unit=../../etc/passwd'], 'unit'),
        (['docker_logs', 'container=web', f'since={"9" * 1_000_000}'], 'since'),
        (['docker_restart', 'container=web', 'privileged=true'], "unknown argument 'privileged'"),
        (['docker_restart', 'container'], 'container: Input should be a valid string'),
        (['rm', '-rf'], "unknown operation 'rm'"),
    ],
)
def test_cli_refuses_named_bad_requests(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tripwires: Tripwires,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(tmp_path / 'data'))
    status = cli.main(['ops', 'run', *argv, '--json'])
    out = capsys.readouterr().out
    assert status == 2
    assert message in out
    assert (tripwires.engine_calls, tripwires.processes) == (0, 0)
    assert cli.main(['audit', 'list', '--json', '--kind', 'rejected']) == 0
    assert message in capsys.readouterr().out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cli_fuzz_never_executes_malformed_requests(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tripwires: Tripwires,
    data: st.DataObject,
) -> None:
    monkeypatch.setenv('HOMELAB_DATA_DIR', str(tmp_path / 'data'))
    name = data.draw(NAMES, label='operation')
    raw = data.draw(
        st.dictionaries(
            st.one_of(NASTY, st.text(min_size=1, max_size=10)), st.one_of(NASTY, st.text(max_size=30)), max_size=3
        ),
        label='arguments',
    )
    words = [f'{k}={v}' for k, v in raw.items() if '=' not in k and '\x00' not in k + v]
    parsed = parse_arguments(words)
    if is_valid(name, parsed):
        return
    status = cli.main(['ops', 'run', name, *words, '--json'])
    assert status == 2
    assert 'invalid arguments' in capsys.readouterr().out
    assert (tripwires.engine_calls, tripwires.processes) == (0, 0)
