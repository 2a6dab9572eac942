"""The manager's promises, on a real SQLite store: audit first, refuse clearly, supervise strictly."""

from __future__ import annotations

import asyncio
import time

import pytest

from ops.manager import Manager
from ops.runs import RunState
from ops.store.chain_check import verify_chain
from ops.store.models import AuditEvent, Run


def alive(pid: int) -> bool:
    """Running (not merely a zombie waiting for PID 1 to reap it, which holds no resources)."""
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


async def audit_kinds(run_id: int) -> list[str]:
    return [e.kind for e in await AuditEvent.filter(run_id=run_id).order_by('id')]


async def test_a_run_is_audited_requested_then_finished_and_keeps_its_output(manager: Manager) -> None:
    outcome = await manager.run('test_echo', {'text': 'hello', 'times': '3'}, actor='cli:alice', origin='cli')
    assert outcome.state is RunState.SUCCEEDED
    assert outcome.result == {'said': 'hello'}
    assert outcome.output == 'hello\nhello\nhello'
    run = await Run.get(id=outcome.run_id)
    assert (run.state, run.actor, run.params) == ('succeeded', 'cli:alice', {'text': 'hello', 'times': 3})
    assert await audit_kinds(outcome.run_id) == ['requested', 'finished']
    assert (await verify_chain()).ok


@pytest.mark.parametrize(
    ('operation', 'args', 'message'),
    [
        ('rm_rf', {}, "unknown operation 'rm_rf'"),
        ('test_echo', {'text': 'hi', 'shell': 'yes'}, "unknown argument 'shell'"),
        ('test_echo', {}, "missing argument 'text'"),
        ('test_echo', {'text': 'x' * 1_000_000}, 'at most 100 characters'),
        ('test_echo', {'text': 'hi', 'times': 'many'}, 'times'),
        ('test_restart', {'container': 'web;rm -rf /'}, 'container'),
        ('test_restart', {'container': '../../etc/passwd'}, 'container'),
        ('test_restart', {'container': 'mail'}, "no container named 'mail'"),
    ],
)
async def test_bad_requests_are_refused_with_a_reason_audited_and_never_run(
    manager: Manager, operation: str, args: dict[str, str], message: str, calls: dict[str, int]
) -> None:
    outcome = await manager.run(operation, args, actor='ui:bob', origin='ui')
    assert outcome.state is RunState.REJECTED
    assert message in (outcome.error or '')
    assert calls == {}
    events = await AuditEvent.filter(run_id=outcome.run_id).order_by('id')
    assert events[-1].kind == 'rejected'
    assert message in events[-1].detail['error']
    assert len((await Run.get(id=outcome.run_id)).operation) <= 64


async def test_single_flight_join_runs_the_handler_once(
    manager: Manager, gates: dict[str, asyncio.Event], calls: dict[str, int]
) -> None:
    first = await manager.submit('test_up', {'stack': 'media'}, actor='ui:a', origin='ui')
    second = await manager.submit('test_up', {'stack': 'media'}, actor='ui:b', origin='ui')
    other = await manager.submit('test_up', {'stack': 'backup'}, actor='ui:b', origin='ui')
    gates.setdefault('up:media', asyncio.Event()).set()
    gates.setdefault('up:backup', asyncio.Event()).set()
    one, two, three = await first.outcome(), await second.outcome(), await other.outcome()
    assert calls['test_up'] == 2  # media once, backup once
    assert one.state is two.state is three.state is RunState.SUCCEEDED
    assert two.joined_run_id == one.run_id
    assert await audit_kinds(second.run_id) == ['requested', 'joined', 'finished']


async def test_single_flight_refuse_says_who_holds_the_lock(manager: Manager, gates: dict[str, asyncio.Event]) -> None:
    first = await manager.submit('test_restart', {'container': 'web'}, actor='ui:a', origin='ui')
    second = await manager.run('test_restart', {'container': 'web'}, actor='ui:b', origin='ui')
    assert second.state is RunState.REJECTED
    assert f'busy: run #{first.run_id}' in (second.error or '')
    gates['restart:web'].set()
    assert (await first.outcome()).state is RunState.SUCCEEDED
    again = await manager.submit('test_restart', {'container': 'web'}, actor='ui:b', origin='ui')
    assert (await again.outcome()).state is RunState.SUCCEEDED  # the lock was released


async def test_a_pool_of_two_never_runs_three(
    manager: Manager, gates: dict[str, asyncio.Event], concurrency: dict[str, int]
) -> None:
    handles = [await manager.submit('test_busy', {'n': i}, actor='t', origin='test') for i in range(6)]
    deadline = time.monotonic() + 5
    while concurrency['now'] < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert concurrency['now'] == 2
    states = [(await Run.get(id=h.run_id)).state for h in handles]
    assert states.count('running') == 2 and states.count('pending') == 4
    gates['busy'].set()
    outcomes = [await h.outcome() for h in handles]
    assert all(o.state is RunState.SUCCEEDED for o in outcomes)
    assert concurrency['max'] == 2


async def test_a_hanging_process_is_killed_at_the_timeout_with_no_child_left(manager: Manager) -> None:
    started = time.monotonic()
    outcome = await manager.run('test_hang', {}, actor='t', origin='test')
    assert outcome.state is RunState.TIMED_OUT
    assert 'timed out after 1 s' in (outcome.error or '')
    assert time.monotonic() - started < 5
    pids = [int(line.split()[1]) for line in outcome.output.splitlines() if line.split()[0] in {'child', 'shell'}]
    assert len(pids) == 2
    for pid in pids:
        assert not alive(pid), f'process {pid} outlived its run'
    assert (await AuditEvent.filter(run_id=outcome.run_id).order_by('-id').first()).detail['state'] == 'timed_out'


async def test_an_unreachable_engine_fails_the_run_and_the_manager_keeps_serving(manager: Manager) -> None:
    failed = await manager.run('test_engine', {}, actor='t', origin='test')
    assert failed.state is RunState.FAILED
    assert 'socket does not exist' in (failed.error or '')
    ok = await manager.run('test_echo', {'text': 'still here'}, actor='t', origin='test')
    assert ok.state is RunState.SUCCEEDED


async def test_output_is_capped_with_a_count_of_dropped_lines(manager: Manager) -> None:
    outcome = await manager.run('test_flood', {}, actor='t', origin='test')
    assert outcome.dropped_lines == 501  # 2501 lines, 2000 kept
    last = outcome.output.splitlines()[-1]
    assert len(last) < 4200 and 'more characters' in last


async def test_cancel_ends_the_run_cancelled_and_releases_its_lock(
    manager: Manager, gates: dict[str, asyncio.Event], calls: dict[str, int]
) -> None:
    handle = await manager.submit('test_restart', {'container': 'db'}, actor='t', origin='test')
    deadline = time.monotonic() + 5
    while calls.get('test_restart') != 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert manager.cancel(handle.run_id)
    assert (await handle.outcome()).state is RunState.CANCELLED
    gates['restart:db'].set()
    assert (await manager.run('test_restart', {'container': 'db'}, actor='t', origin='test')).succeeded


async def test_when_nothing_can_be_recorded_a_mutating_operation_is_refused(
    manager: Manager, calls: dict[str, int]
) -> None:
    from tortoise import Tortoise

    conn = Tortoise.get_connection('default')
    await conn.execute_script('PRAGMA query_only = ON')
    try:
        outcome = await manager.run('test_restart', {'container': 'web'}, actor='t', origin='test')
    finally:
        await conn.execute_script('PRAGMA query_only = OFF')
    assert outcome.state is RunState.REJECTED
    assert 'cannot be recorded' in (outcome.error or '')
    assert calls == {}


async def test_every_requested_event_has_a_final_one(manager: Manager) -> None:
    await manager.run('test_echo', {'text': 'a'}, actor='t', origin='test')
    await manager.run('test_restart', {'container': 'nope'}, actor='t', origin='test')
    await manager.run('test_hang', {}, actor='t', origin='test')
    requested = {e.run_id for e in await AuditEvent.filter(kind='requested')}
    final = {e.run_id for e in await AuditEvent.filter(kind__in=['finished', 'rejected'])}
    assert requested and requested <= final
