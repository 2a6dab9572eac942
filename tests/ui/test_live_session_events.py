"""Browser events pass one session check (app/auth/live_session.py): here sent the way NiceGUI's socket hands them
over (`Client.handle_event`), with NiceGUI's simulated user around them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nicegui import Client, ui
from nicegui.testing import User

from ops.store.access import LoginSession
from ops.store.audit_kinds import AuditKind
from ops.store.models import AuditEvent, Run
from tests.helpers.page_events import send, socket_click
from tests.helpers.waiting import wait_for_async


async def refusals() -> int:
    return await AuditEvent.filter(kind=AuditKind.SESSION_ENDED_REFUSED).count()


async def open_operations(user: User) -> tuple[Client, ui.element]:
    client = await user.open('/operations')
    [run] = user.find(marker='run-backup_run').elements
    return client, run


async def test_an_expired_session_refuses_the_next_event_and_records_it_once(signed_in_console, dead_engine) -> None:
    async with signed_in_console(docker_host=dead_engine) as user:
        client, run = await open_operations(user)
        long_ago = datetime.now(UTC) - timedelta(days=2)
        await LoginSession.filter(username='admin').update(last_seen_at=long_ago)  # idle for two days
        click = socket_click(run)
        for _ in range(20):
            send(client, click)
        await wait_for_async(refusals, timeout=10, what='the refusal')
        await user.should_see('Sign in', retries=50)
        assert client.is_deleted  # let go: nothing more reaches it, nothing more comes from it
        send(client, click)
        [refused] = await AuditEvent.filter(kind=AuditKind.SESSION_ENDED_REFUSED)
        assert refused.actor == 'ui:admin'
        assert refused.detail['reason'] == 'idle timeout' and refused.detail['page'] == '/operations'
        assert await Run.all().count() == 0
        assert not [e for e in await AuditEvent.all() if e.kind == 'requested']


async def test_a_live_session_lets_the_same_event_through(signed_in_console, dead_engine) -> None:
    async with signed_in_console(docker_host=dead_engine) as user:
        client, run = await open_operations(user)
        send(client, socket_click(run))
        await user.should_see(marker='confirm-run', retries=50)
        assert await refusals() == 0
