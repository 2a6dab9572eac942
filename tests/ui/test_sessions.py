"""Server-side sessions: a new id at every sign-in, dead after sign-out, cookie flags."""

from __future__ import annotations

from app.auth.sessions import COOKIE
from app.auth.users import create_user
from ops.store.access import LoginSession
from tests.helpers.signed_in import PASSWORD, sign_in, sign_out
from tests.helpers.waiting import wait_for_async


async def test_sign_in_issues_a_new_session_id_and_sign_out_kills_it(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await create_user('admin', PASSWORD)
        await user.open('/')
        await user.should_see('Sign in')  # a made-up cookie gets nobody in
        await sign_in(user)
        await user.should_see('Containers', retries=50)
        first = user.http_client.cookies.get(COOKIE)
        assert first

        await sign_out(user)
        await user.should_see('Sign in')
        ended = await LoginSession.get(username='admin')
        assert ended.ended_at is not None and ended.end_reason == 'signed out'

        user.http_client.cookies.clear()
        user.http_client.cookies.set(COOKIE, first)  # replay the old cookie
        await user.open('/')
        await user.should_see('Sign in')

        user.http_client.cookies.clear()
        await sign_in(user)
        await user.should_see('Containers', retries=50)
        second = user.http_client.cookies.get(COOKIE)
        assert second and second != first
        assert await LoginSession.filter(username='admin', ended_at=None).count() == 1


async def test_the_session_cookie_is_httponly_and_samesite(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await create_user('admin', PASSWORD)
        seen: list[str] = []

        async def remember(response) -> None:  # type: ignore[no-untyped-def]
            seen.extend(response.headers.get_list('set-cookie'))

        user.http_client.event_hooks['response'].append(remember)
        await sign_in(user)
        await user.should_see('Containers', retries=50)
        await wait_for_async(lambda: any(c.startswith(f'{COOKIE}=') for c in seen), timeout=5, what='the cookie')
        cookie = next(c for c in seen if c.startswith(f'{COOKIE}=')).lower()
        assert 'httponly' in cookie and 'samesite=lax' in cookie and 'path=/' in cookie


async def test_an_open_page_closes_when_its_session_ends_elsewhere(signed_in_console, dead_engine, monkeypatch) -> None:
    from app.auth import gate
    from app.auth.sessions import Sessions

    monkeypatch.setattr(gate, 'SESSION_RECHECK', 0.2)
    async with signed_in_console(docker_host=dead_engine) as user:
        assert await Sessions().end_all_of('admin', 'signed out elsewhere') == 1
        await user.should_see('Sign in', retries=100)


async def test_idle_and_absolute_timeouts_end_a_session(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from app.auth.sessions import SessionPolicy, Sessions
    from ops.store.db import close_store, open_store

    await open_store(tmp_path / 'h.sqlite3')
    try:
        sessions = Sessions(SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=8)))
        idle_sid = await sessions.start('admin', '10.0.0.1')
        old_sid = await sessions.start('admin', '10.0.0.2')
        assert await sessions.check(idle_sid) is not None
        now = datetime.now(UTC)
        idle = await LoginSession.get(client='10.0.0.1')
        await LoginSession.filter(id=idle.id).update(last_seen_at=now - timedelta(minutes=31))
        old = await LoginSession.get(client='10.0.0.2')
        await LoginSession.filter(id=old.id).update(created_at=now - timedelta(hours=9), last_seen_at=now)
        assert await sessions.check(idle_sid) is None
        assert await sessions.check(old_sid) is None
        reasons = {s.client: s.end_reason for s in await LoginSession.all()}
        assert reasons == {'10.0.0.1': 'idle timeout', '10.0.0.2': 'absolute timeout'}
    finally:
        await close_store()
