"""The Actions page through NiceGUI's simulated user: drift per stack, pending actions with their plan,
approve (and a refused run), approve twice, reject, hostile text, and the Overview's live pending count."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from nicegui import ui
from nicegui.testing import User

from components.action_board import action_board
from components.action_card import action_card
from components.action_history import action_history
from components.drift_badges import drift_badges
from components.pending_actions import pending_actions
from components.stack_cards import stack_cards
from components.stack_drift import drift_board
from ops.store.models import Action, AuditEvent
from ops.world.desired import StackWant
from ops.world.drift import Drift
from ops.world.supervisor import StackReport
from tests.helpers.waiting import wait_for_async

HOSTILE = '<script>alert("x")</script><b>bold</b>'
PLAN: dict[str, Any] = {
    'steps': ['pull busybox:1.37, layer by layer', 'compose up -d web'],
    'dry_run': ['Container ghost-web-1  Recreate', 'Container ghost-web-1  Recreated'],
    'diff': [
        {'setting': 'image', 'running': 'busybox:1.36', 'wanted': 'busybox:1.37'},
        {'setting': 'env.MODE', 'running': None, 'wanted': 'fast'},
    ],
    'error': None,
}


async def pending(stack: str = 'ghost', *, detail: str = 'ghost-web-1 is exited (exit code 137)') -> Action:
    """A proposal for a stack that is not configured: approving it makes the manager refuse the run."""
    return await Action.create(
        stack=stack,
        service='web',
        container=f'{stack}-web-1',
        kind='stopped',
        drift_key=f'{stack}:stopped:web:{time.monotonic_ns()}',
        title='Start web',
        detail=detail,
        operation='stack_service_up',
        params={'stack': stack, 'service': 'web'},
        plan=PLAN,
        state='pending',
    )


async def superseded() -> Action:
    return await Action.create(
        stack='ghost',
        service='db',
        container='ghost-db-1',
        kind='config',
        drift_key='ghost:config:db:0',
        title='Recreate db with the new config',
        detail='ghost-db-1 runs config 111, the files say 222',
        operation='stack_service_up',
        params={'stack': 'ghost', 'service': 'db'},
        plan={},
        state='superseded',
        finished_at=datetime.now(UTC),
    )


def board(user: User) -> action_board:
    return cast(action_board, user.find(action_board).elements.pop())


def history_rows(user: User) -> list[dict[str, Any]]:
    return list(cast(action_history, user.find(action_history).elements.pop()).table.rows)


def card_of(user: User, action_id: int) -> action_card | None:
    return board(user).cards.get(action_id)


def in_pending(user: User, action_id: int) -> bool:
    return any(isinstance(c, action_card) and c.action_id == action_id for c in board(user).pending)


async def history_state(user: User, action_id: int, state: str) -> dict[str, Any]:
    def row() -> dict[str, Any] | None:
        return next((r for r in history_rows(user) if r['id'] == action_id and r['state'] == state), None)

    found = await wait_for_async(row, timeout=20, what=f'action #{action_id} {state} in the history')
    assert found is not None
    return found


async def test_a_pending_action_shows_its_plan_and_a_refused_run_ends_failed(signed_in_console, dead_engine) -> None:
    async with signed_in_console(docker_host=dead_engine) as user:
        action = await pending(detail=f'ghost-web-1 is exited {HOSTILE}')
        old = await superseded()
        await user.open('/actions')
        await user.should_see('Start web', retries=50)
        await user.should_see('compose up -d web')  # a step
        await user.should_see('Container ghost-web-1  Recreate\nContainer ghost-web-1  Recreated')  # the dry run
        await user.should_see('busybox:1.37')  # the diff: running | wanted
        await user.should_see('not set')
        # Untrusted text is text: the label holds the markup literally (and Vue renders labels as text).
        assert any(label.text == f'ghost-web-1 is exited {HOSTILE}' for label in user.find(ui.label).elements)
        assert (await history_state(user, old.id, 'superseded'))['decided_by'] == 'supervisor'
        assert in_pending(user, action.id)

        user.find(marker=f'approve-{action.id}').click()
        await user.should_see('Approve: Start web?', retries=50)
        await user.should_see('It runs now as ui:admin and is recorded in the audit trail.')
        user.find(marker='confirm-approve').click()
        # The manager refuses (the stack is not configured): the card leaves Pending and ends failed, with why.
        row = await history_state(user, action.id, 'failed')
        assert "stack 'ghost' is not configured" in row['error'] and row['decided_by'] == 'ui:admin'
        assert row['run_id'], 'the refused run is linked'
        assert not in_pending(user, action.id)
        card = card_of(user, action.id)
        assert card is not None and card.state.text == 'failed' and card.run is not None
        await wait_for_async(lambda: card.run is not None and card.run.state == 'rejected', timeout=10,
                             what='the run view showing the refusal')  # fmt: skip
        await user.should_see('Nothing to decide: no action is waiting for approval.')


async def test_approving_what_was_approved_elsewhere_says_it_is_not_pending(signed_in_console, dead_engine) -> None:
    async with signed_in_console(docker_host=dead_engine) as user:
        action = await pending()
        await user.open('/actions')
        await user.should_see('Start web', retries=50)
        queue = board(user).queue  # (while a dialog is open, the simulated user sees only the dialog)
        user.find(marker=f'approve-{action.id}').click()
        await user.should_see('Approve: Start web?', retries=50)
        # Meanwhile someone approves it from the CLI (the same queue).
        await queue.approve(action.id, actor='cli:root', origin='cli')
        user.find(marker='confirm-approve').click()
        await user.should_see(f'action #{action.id} is failed, not pending', retries=50)
        await history_state(user, action.id, 'failed')
        refused = await AuditEvent.filter(kind='action_refused', actor='ui:admin').count()
        assert refused == 1


async def test_reject_asks_why_and_moves_the_action_to_the_history(signed_in_console, dead_engine) -> None:
    async with signed_in_console(docker_host=dead_engine) as user:
        action = await pending()
        await user.open('/actions')
        await user.should_see('Start web', retries=50)
        user.find(marker=f'reject-{action.id}').click()
        await user.should_see('Reject: Start web?', retries=50)
        user.find('Reason (optional, kept in the audit trail)').type('maintenance window tonight')
        user.find(marker='confirm-reject').click()
        row = await history_state(user, action.id, 'rejected')
        assert row['decided_by'] == 'ui:admin'
        await wait_for_async(lambda: card_of(user, action.id) is None, timeout=10, what='the card to go')
        event = await AuditEvent.filter(kind='action_rejected').first()
        assert event is not None and event.actor == 'ui:admin'
        assert 'maintenance window tonight' in str(event.detail)


async def test_drift_per_stack_and_the_overviews_live_pending_count(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / 'homelab.toml'
    config.write_text('[stacks.media]\nfiles = ["media/compose.yml"]\n\n[stacks.broken]\nfiles = ["nope.yml"]\n')
    monkeypatch.setenv('HOMELAB_CONFIG', str(config))
    async with signed_in_console(docker_host=dead_engine) as user:
        # A configured stack without containers keeps its card on the Overview, with its drift badges.
        badges = await wait_for_async(lambda: _badges(user, 'media'), timeout=10, what='media badges')
        assert badges == {'unchecked'}
        (counter,) = user.find(pending_actions).elements
        counter = cast(pending_actions, counter)
        await wait_for_async(lambda: counter.count == 0, timeout=10, what='0 pending')
        stopped = Drift(stack='ghost', kind='stopped', service='web', container='ghost-web-1',
                        detail='ghost-web-1 is exited (exit code 137)', fingerprint='abc')  # fmt: skip
        await counter.queue.sync([stopped], stacks=['ghost'])
        await wait_for_async(lambda: counter.count == 1, timeout=10, what='1 pending on the Overview')
        assert counter.badge.text == '1' and counter.words.text == 'pending action'
        (cards,) = user.find(stack_cards).elements
        supervisor = cast(stack_cards, cards)._supervisor
        assert supervisor is not None
        supervisor.reports = _reports()
        supervisor.changed.emit(None)
        assert _badges(user, 'media') == {'stopped:2', 'settling:orphan:1'}
        assert _badges(user, 'broken') == {'invalid:1'}

        await user.open('/actions')
        await user.should_see('Start web', retries=50)  # proposed through the queue
        await user.should_see('1 of 2 stacks differs from its files; 1 has invalid files.')
        await user.should_see(f'nope.yml: no such file {HOSTILE}')
        await user.should_see('waiting 5 s to be sure')
        assert _badges(user, 'media') == {'stopped:2', 'settling:orphan:1'}
        supervisor.reports = {name: report for name, report in _reports().items() if name == 'media'}
        supervisor.reports['media'] = StackReport(name='media', want=_want('media'), checked_at=time.time())
        supervisor.changed.emit(None)
        assert _badges(user, 'media') == {'in-line'}
        assert _badges(user, 'broken') == {'unchecked'}
        # With the engine away, a check keeps the last picture and says so.
        (drift,) = user.find(drift_board).elements
        await cast(drift_board, drift).check_now()
        await user.should_see('The engine does not answer: the last picture is kept.', retries=50)


def _want(name: str, error: str | None = None) -> StackWant:
    return StackWant(name=name, files=('compose.yml',), error=error)


def _reports() -> dict[str, StackReport]:
    def drift(kind: Any, subject: str) -> Drift:
        service = subject if kind != 'orphan' else None
        detail = f'media-{subject}-1 differs'
        return Drift(stack='media', kind=kind, service=service, container=f'media-{subject}-1', detail=detail,
                     fingerprint=subject)  # fmt: skip

    orphan = drift('orphan', 'old')
    media = StackReport(
        name='media',
        want=_want('media'),
        drifts=(drift('stopped', 'jellyfin'), drift('stopped', 'sonarr'), orphan),
        settling=(orphan,),
        checked_at=time.time(),
    )
    error = f'nope.yml: no such file {HOSTILE}'
    invalid = Drift(stack='broken', kind='invalid', service=None, container=None, detail=error, fingerprint='e')
    broken = StackReport(name='broken', want=_want('broken', error), drifts=(invalid,), checked_at=time.time())
    return {'media': media, 'broken': broken}


def _badges(user: User, stack: str) -> set[str]:
    found = set()
    for element in user.find(drift_badges).elements:
        if cast(drift_badges, element).stack == stack:
            found |= {str(b.props['data-drift']) for b in element.descendants() if 'data-drift' in b.props}
    return found
