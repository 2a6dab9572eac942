"""Sign-in attacks through the real login page: simultaneous clicks, a lock-out attempt, a flood of refusals.

Every visitor is its own browser connection with its own client address (as the request gives it), so the
throttle sees what it would see from attackers and owners on the network.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from contextlib import AsyncExitStack
from http.cookiejar import Cookie

import httpx
import pytest
from nicegui import core, ui
from nicegui.testing import User

from app.auth import users
from app.auth.throttle import ADDRESS_FREE_ATTEMPTS, FREE_ATTEMPTS, USER_FREE_ATTEMPTS, USER_INTERVAL
from app.auth.users import create_user
from app.settings import Settings
from ops.store.models import AuditEvent
from tests.helpers.login_page import SIGNED_IN, error_text, fill_in, seconds, visitor
from tests.helpers.signed_in import PASSWORD, sign_out
from tests.helpers.waiting import wait_for_async

WRONG = 'Wrong user name or password.'


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification the console runs, by the password it was given."""
    checks: list[str] = []
    verify = users.verify_password

    def counted(stored: str | None, password: str) -> bool:
        checks.append(password)
        return verify(stored, password)

    monkeypatch.setattr(users, 'verify_password', counted)
    return checks


async def outcome(page: User) -> str:
    """What the page answered the last click with: its error line, or SIGNED_IN once the Overview is shown."""

    def answered() -> str:
        if page.client is not None and page.client.page.path == '/':
            return SIGNED_IN
        return error_text(page)

    return await wait_for_async(answered, timeout=30, interval=0.02, what='the sign-in page to answer')


async def try_password(page: User, username: str, password: str) -> str:
    await fill_in(page, username, password)
    page.find('Sign in').click()
    return await outcome(page)


@pytest.mark.parametrize(
    'addresses',
    [['203.0.113.5'] * 30, [f'203.0.113.{i}' for i in range(1, 31)]],
    ids=['one-address', 'thirty-addresses'],
)
async def test_thirty_simultaneous_sign_ins_check_the_password_at_most_the_threshold(
    console, dead_engine, password_checks, addresses
) -> None:
    async with console(docker_host=dead_engine), AsyncExitStack() as stack:
        await create_user('admin', PASSWORD)
        pages = [await stack.enter_async_context(visitor(address)) for address in addresses]
        for page in pages:
            await fill_in(page, 'admin', 'not the password at all')
        for page in pages:  # thirty clicks at once: nothing is awaited in between
            page.find('Sign in').click()
        answers = [await outcome(page) for page in pages]
        assert len(password_checks) <= FREE_ATTEMPTS
        assert answers.count(WRONG) == len(password_checks)
        refused = [answer for answer in answers if answer != WRONG]
        assert len(refused) >= 30 - FREE_ATTEMPTS
        assert all('Try again in' in answer for answer in refused), refused


async def test_guessing_from_one_address_does_not_lock_the_owner_out_of_another(
    console, dead_engine, clock, password_checks
) -> None:
    async with console(docker_host=dead_engine), visitor('203.0.113.66') as attacker:
        await create_user('admin', PASSWORD)
        while len(password_checks) < 14:  # the attacker waits out every back-off the page announces
            answer = await try_password(attacker, 'admin', 'a wrong guess')
            assert answer == WRONG or seconds(answer) > 0, answer
            clock.now += seconds(answer)
        assert seconds(await try_password(attacker, 'admin', 'one more')) > USER_INTERVAL  # the attacker is slowed

        async with visitor('192.168.1.20') as owner:
            waited = 0.0
            for _ in range(3):
                answer = await try_password(owner, 'admin', PASSWORD)
                if answer == SIGNED_IN:
                    break
                assert 0 < seconds(answer) <= USER_INTERVAL, answer
                waited += seconds(answer)
                clock.now += seconds(answer)
            assert answer == SIGNED_IN
            assert waited <= USER_INTERVAL
            await owner.should_see('Containers', retries=50)


async def test_a_flood_of_refused_attempts_writes_a_few_audit_events_whose_counts_add_up(
    console, dead_engine, clock
) -> None:
    flood = 300
    async with console(docker_host=dead_engine), visitor('198.51.100.7') as attacker:
        await create_user('admin', PASSWORD)
        for i in range(ADDRESS_FREE_ATTEMPTS):  # spraying user names locks the address (the clock stands still)
            assert await try_password(attacker, f'guess{i}', 'a wrong guess') == WRONG
        await fill_in(attacker, 'admin', '')
        username, password = attacker.find('User name').elements.pop(), attacker.find('Password').elements.pop()
        for i in range(flood):  # one socket, as fast as the page takes them, a new user name every time
            username.value, password.value = f'spray{i}', 'a wrong guess'
            attacker.find('Sign in').click()
            await wait_for_async(lambda: password.value == '', interval=0, what='the page to take the attempt')
        await attacker.should_see('Try again in', retries=50)
        # The page shows the refusal before the first refusal's audit event is durable (an fsync'd append): wait for it.
        await wait_for_async(_throttled_events_exist, timeout=20, what='the first login_throttled event to be written')
        while_running = await AuditEvent.filter(kind='login_throttled').count()
        assert 1 <= while_running <= 2
    # The console has stopped: what was still being counted was written at shutdown.
    with sqlite3.connect(Settings().database_path) as db:
        rows = db.execute('SELECT kind, detail FROM audit_events ORDER BY id').fetchall()
    throttled = [json.loads(detail) for kind, detail in rows if kind == 'login_throttled']
    assert [kind for kind, _ in rows].count('login_failed') == ADDRESS_FREE_ATTEMPTS
    assert len(throttled) <= 3
    assert sum(detail['count'] for detail in throttled) == flood
    assert {detail['client'] for detail in throttled} == {'198.51.100.7'}


async def answer_again(page: User, password: str) -> str:
    """Click Sign in once more on an open page (its name stays typed) and wait for this click's own answer."""
    assert page.client is not None
    for element in page.client.layout.descendants():
        if isinstance(element, ui.label) and element.props.get('data-testid') == 'login-error':
            element.set_text('')
    page.find('Password').elements.pop().value = password
    page.find('Sign in').click()
    return await wait_for_async(lambda: error_text(page), timeout=30, interval=0.02, what='the page to answer')


def device_cookie(page: User) -> Cookie | None:
    return next((cookie for cookie in page.http_client.cookies.jar if cookie.name == 'homelab_device'), None)


async def test_a_browser_that_signed_in_before_gets_in_at_once_while_two_hundred_addresses_take_every_slot(
    console, dead_engine, clock, password_checks
) -> None:
    async with console(docker_host=dead_engine), visitor('192.168.1.20') as owner, AsyncExitStack() as stack:
        await create_user('admin', PASSWORD)
        assert await try_password(owner, 'admin', PASSWORD) == SIGNED_IN  # the owner's own browser, some day before
        cookie = device_cookie(owner)
        assert cookie is not None and cookie.has_nonstandard_attr('HttpOnly') and not cookie.secure
        assert (cookie.get_nonstandard_attr('SameSite') or '').lower() == 'lax'
        await sign_out(owner)

        attackers = [await stack.enter_async_context(visitor(f'2001:db8:{i:x}::1')) for i in range(200)]
        for page in attackers:
            await fill_in(page, 'admin', 'a wrong guess')
        before = len(password_checks)
        for _ in range(8):  # each round the slot opens and all 200 fire at once
            clock.now += USER_INTERVAL
            answers = await asyncio.gather(*(answer_again(page, 'a wrong guess') for page in attackers))
            assert 1 <= answers.count(WRONG) <= USER_FREE_ATTEMPTS, answers
        assert len(password_checks) - before <= 8 + USER_FREE_ATTEMPTS
        # The slot was taken just now. The owner's browser gets in at once, the clock standing still ...
        assert await try_password(owner, 'admin', PASSWORD) == SIGNED_IN
        await owner.should_see('Containers', retries=50)
        # ... and a browser that never signed in, at the owner's own address, waits for the slot as before.
        async with visitor('192.168.1.20') as elsewhere:
            answer = await try_password(elsewhere, 'admin', PASSWORD)
            assert 0 < seconds(answer) <= USER_INTERVAL, answer


async def test_over_https_the_device_cookie_is_secure(console, dead_engine) -> None:
    async with console(docker_host=dead_engine):
        await create_user('admin', PASSWORD)
        transport = httpx.ASGITransport(core.app, client=('192.168.1.20', 50_000))
        async with httpx.AsyncClient(transport=transport, base_url='https://test') as http:
            owner = User(http)
            assert await try_password(owner, 'admin', PASSWORD) == SIGNED_IN
            cookie = device_cookie(owner)
            assert cookie is not None and cookie.secure and cookie.has_nonstandard_attr('HttpOnly')


BUSY = 'The console is busy checking other sign-ins. Try again in a few seconds.'


async def test_the_whole_console_runs_two_password_checks_at_once_and_a_known_browser_has_a_lane_of_its_own(
    console, dead_engine, monkeypatch
) -> None:
    verify = users.verify_password
    released, lock = threading.Event(), threading.Lock()
    running = {'wrong': 0, 'most wrong': 0, 'owner': 0}

    def slow_wrong_guesses(stored: str | None, password: str) -> bool:
        """A wrong guess's check runs until the test lets it end; the owner's right password is checked at once."""
        if password == PASSWORD:
            running['owner'] += 1
            return verify(stored, password)
        with lock:
            running['wrong'] += 1
            running['most wrong'] = max(running['most wrong'], running['wrong'])
        try:
            released.wait(timeout=60)
            return verify(stored, password)
        finally:
            with lock:
                running['wrong'] -= 1

    monkeypatch.setattr(users, 'verify_password', slow_wrong_guesses)
    async with console(docker_host=dead_engine), visitor('192.168.1.20') as owner, AsyncExitStack() as stack:
        try:
            await create_user('admin', PASSWORD)
            assert await try_password(owner, 'admin', PASSWORD) == SIGNED_IN
            await sign_out(owner)
            pages = [await stack.enter_async_context(visitor(f'203.0.113.{i}')) for i in range(1, 11)]
            for i, page in enumerate(pages):  # ten addresses, ten names: no throttle key is shared
                await fill_in(page, f'guess{i}', 'a wrong guess')
            for page in pages:
                page.find('Sign in').click()

            def busy_answers() -> int:
                return sum(error_text(page) == BUSY for page in pages)

            await wait_for_async(lambda: busy_answers() == 8, timeout=30, what='eight attempts answered busy')
            assert running['wrong'] == running['most wrong'] == 2  # argon2 ran for two at once, never more
            # While both slots are taken, the owner's browser (it signed in before) is checked in its own lane.
            assert await try_password(owner, 'admin', PASSWORD) == SIGNED_IN
            assert running['owner'] == 2
        finally:
            released.set()
        assert [await outcome(page) for page in pages].count(WRONG) == 2
        assert running['most wrong'] == 2


async def test_attempts_from_three_hundred_addresses_write_a_bounded_number_of_events_whose_counts_add_up(
    console, dead_engine, clock
) -> None:
    addresses = 300
    async with console(docker_host=dead_engine), AsyncExitStack() as stack:
        await create_user('admin', PASSWORD)
        pages = [await stack.enter_async_context(visitor(f'2001:db8:{i:x}::1')) for i in range(addresses)]
        answers = [await try_password(page, 'admin', 'a wrong guess') for page in pages]  # the clock stands still
        assert answers.count(WRONG) == USER_FREE_ATTEMPTS  # then the user name's rate refuses the rest
        assert all(seconds(answer) > 0 for answer in answers if answer != WRONG)
    with sqlite3.connect(Settings().database_path) as db:
        rows = [(kind, json.loads(detail)) for kind, detail in db.execute('SELECT kind, detail FROM audit_events')]
    anonymous = [(kind, detail) for kind, detail in rows if kind in ('login_failed', 'login_throttled')]
    # At most 120 anonymous sign-in events a minute from all addresses together, and one that counts the rest.
    assert len(anonymous) <= 120 + 1
    failed = sum(kind == 'login_failed' for kind, _ in anonymous)
    assert failed + sum(detail['count'] for kind, detail in anonymous if kind == 'login_throttled') == addresses
    rest = [detail for _, detail in anonymous if detail['client'] == 'other addresses']
    assert len(rest) == 1 and rest[0]['addresses'] == rest[0]['count'] == addresses - 120


async def _throttled_events_exist() -> bool:
    return await AuditEvent.filter(kind='login_throttled').exists()
