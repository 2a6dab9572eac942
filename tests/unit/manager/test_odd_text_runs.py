"""A run or a refusal carrying text or numbers the store cannot take as they are is still recorded and audited."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from ops.manager import Manager
from ops.runs import RunOutcome, RunState
from ops.store import audit as audit_module
from ops.store.audit import AuditUnavailable
from ops.store.audit_kinds import AuditKind
from ops.store.models import AuditEvent, Run


async def test_a_run_whose_text_the_store_cannot_take_as_is_has_its_requested_and_finished(manager: Manager) -> None:
    outcome = await manager.run('test_odd', {}, actor='ui:admin', origin='test')
    assert outcome.state is RunState.SUCCEEDED
    kinds = await AuditEvent.filter(run_id=outcome.run_id).values_list('kind', flat=True)
    assert AuditKind.REQUESTED in kinds
    assert AuditKind.FINISHED in kinds, f'run {outcome.run_id} ({outcome.state}) has only {kinds}'
    run = await Run.get(id=outcome.run_id)
    assert run.state is RunState.SUCCEEDED
    assert run.result == {'label': 'caf\\udce9', 'size': str(2**70), 'ratio': 'nan'}
    assert run.output == 'label caf\\udce9'


@pytest.mark.parametrize(
    ('operation', 'raw'),
    [
        ('test_restart', {'container': '\ud800'}),
        ('test_restart', {'\ud800': 1}),
        ('test_echo', {'text': 'hi', 'times': '\ud800'}),
        ('no_such_\ud800', {}),
    ],
    ids=['value', 'key', 'number', 'operation'],
)
async def test_a_refusal_with_a_lone_surrogate_is_recorded_and_audited(
    manager: Manager, operation: str, raw: dict[str, Any]
) -> None:
    outcome = await manager.run(operation, raw, actor='ui:admin', origin='api')
    assert outcome.state is RunState.REJECTED
    assert outcome.run_id != 0, outcome.error
    kinds = await AuditEvent.filter(run_id=outcome.run_id).values_list('kind', flat=True)
    assert AuditKind.REJECTED in kinds, (outcome.error, kinds)


async def test_a_run_whose_end_cannot_be_saved_still_has_its_finished_event(
    manager: Manager, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Run.save

    async def save(self: Run, *args: Any, **kwargs: Any) -> None:
        if 'finished_at' in (kwargs.get('update_fields') or ()):
            raise ValueError('this row cannot be saved')
        await real(self, *args, **kwargs)

    monkeypatch.setattr(Run, 'save', save)
    outcome = await manager.run('test_odd', {}, actor='ui:admin', origin='test')
    kinds = await AuditEvent.filter(run_id=outcome.run_id).values_list('kind', flat=True)
    assert sorted(kinds) == sorted([AuditKind.REQUESTED, AuditKind.FINISHED]), kinds


async def test_a_request_whose_group_failed_is_tried_once_alone_before_it_is_refused(
    manager: Manager, gates: dict[str, asyncio.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    gates['restart:web'] = asyncio.Event()
    gates['restart:web'].set()
    await manager.audit.append(AuditKind.NOTIFY_TEST, actor='ui:admin', origin='test')  # the writer is idle again
    real, failures = audit_module.write_group, [sqlite3.OperationalError('database is locked')]

    def write_group(*args: Any) -> Any:
        if failures:
            raise failures.pop()
        return real(*args)

    monkeypatch.setattr(audit_module, 'write_group', write_group)
    other = manager.audit.append(AuditKind.NOTIFY_TEST, actor='ui:other', origin='test')
    results = await asyncio.gather(
        other,
        manager.run('test_restart', {'container': 'web'}, actor='ui:admin', origin='test'),
        return_exceptions=True,
    )
    assert isinstance(results[0], AuditUnavailable)  # the group failed: the other append is told so
    outcome = results[1]
    assert isinstance(outcome, RunOutcome) and outcome.state is RunState.SUCCEEDED, outcome
    kinds = await AuditEvent.filter(run_id=outcome.run_id).values_list('kind', flat=True)
    assert AuditKind.REQUESTED in kinds
