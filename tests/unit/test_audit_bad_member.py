"""One appender's odd data (a lone surrogate, a huge integer, NaN) is recorded, readably, and never fails the other
appends of its group; a group that committed is never reported as lost."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from app.auth.sign_in_audit import SignInAudit
from ops.store.audit import AuditLog, AuditUnavailable
from ops.store.audit_kinds import AuditKind
from ops.store.chain_check import verify_chain
from ops.store.models import AuditEvent


async def test_an_anonymous_failed_sign_in_does_not_take_a_runs_finished_event_with_it(audit: AuditLog) -> None:
    await audit.append(AuditKind.NOTIFY_TEST, actor='ui:admin', origin='test')  # the writer is idle again
    sign_in = SignInAudit(audit.append)
    finished = audit.append(
        AuditKind.FINISHED,
        actor='ui:admin',
        origin='ui',
        operation='docker_restart',
        run_id=7,
        detail={'state': 'succeeded'},
    )
    # What the login page passes for a user name typed (or sent over the websocket) as "\ud800x".
    results = await asyncio.gather(finished, sign_in.failed('\ud800x', '203.0.113.9'), return_exceptions=True)
    kinds = await AuditEvent.all().values_list('kind', flat=True)
    assert not isinstance(results[0], BaseException), f'finished event lost: {results[0]!r}; table holds {kinds}'
    assert AuditKind.FINISHED in kinds
    # The attempt itself is on the record, its user name readable.
    failed = await AuditEvent.get(kind=AuditKind.LOGIN_FAILED)
    assert failed.detail['username'] == '\\ud800x'
    assert (await verify_chain(anchor=audit.anchor)).ok


@pytest.mark.parametrize(
    'odd',
    [float('nan'), float('inf'), -float('inf'), 2**64, -(2**63) - 1, '\udce9', {'\ud800': 1}, {5: 'x'}],
    ids=['nan', 'inf', '-inf', 'big', 'very-negative', 'surrogate', 'surrogate-key', 'int-key'],
)
async def test_odd_detail_values_are_recorded_and_verify(audit: AuditLog, odd: Any) -> None:
    event = await audit.append(AuditKind.NOTIFY_TEST, actor='ui:\udce9', origin='test', detail={'x': odd})
    stored = await AuditEvent.get(id=event.id)
    assert stored.detail == event.detail
    assert stored.actor == 'ui:\\udce9'
    status = await verify_chain(anchor=audit.anchor)
    assert status.ok, status.problem


async def test_a_member_whose_change_fails_leaves_the_others_written(audit: AuditLog) -> None:
    await audit.append(AuditKind.NOTIFY_TEST, actor='ui:admin', origin='test')

    async def broken() -> int:
        raise ValueError('this row cannot be saved')

    before = audit.append(AuditKind.NOTIFY_TEST, actor='ui:a', origin='test')
    bad = audit.append_after(broken, AuditKind.REQUESTED, actor='ui:b', origin='test', operation='x')
    after = audit.append(AuditKind.NOTIFY_TEST, actor='ui:c', origin='test')
    results = await asyncio.gather(before, bad, after, return_exceptions=True)
    assert isinstance(results[1], AuditUnavailable)
    assert not isinstance(results[0], BaseException), results[0]
    assert not isinstance(results[2], BaseException), results[2]
    actors = await AuditEvent.all().order_by('id').values_list('actor', flat=True)
    assert actors == ['ui:admin', 'ui:a', 'ui:c']
    assert (await verify_chain(anchor=audit.anchor)).ok


async def test_committed_events_are_not_reported_as_failed(audit: AuditLog, monkeypatch: pytest.MonkeyPatch) -> None:
    assert audit.anchor is not None
    await audit.append(AuditKind.NOTIFY_TEST, actor='ui:admin', origin='test')  # anchored once: the fast path
    entered, release = threading.Event(), threading.Event()
    real = audit.anchor.publish

    def slow_publish(*args: Any, **kwargs: Any) -> None:
        entered.set()
        release.wait(5)
        real(*args, **kwargs)

    monkeypatch.setattr(audit.anchor, 'publish', slow_publish)
    asked = asyncio.ensure_future(audit.append(AuditKind.NOTIFY_TEST, actor='ui:a', origin='test'))
    assert await asyncio.to_thread(entered.wait, 5)
    assert audit._writer is not None
    audit._writer.cancel()  # the loop shutting down while the anchor is being written
    release.set()
    outcome = (await asyncio.gather(asked, return_exceptions=True))[0]
    stored = await AuditEvent.all().count()
    assert stored == 2
    assert isinstance(outcome, AuditEvent), f'caller told {outcome!r} but the table holds its event'
