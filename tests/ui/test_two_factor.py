"""Signing in with TOTP: the code step, a replayed code refused, a recovery code accepted once."""

from __future__ import annotations

import time

import pyotp
from nicegui import ui
from nicegui.testing import User

from app.auth.second_factor import enrol
from app.auth.throttle import USER_INTERVAL
from app.auth.users import create_user
from ops.store.models import AuditEvent
from tests.helpers.login_page import SIGNED_IN, error_text, fill_in, seconds, visitor
from tests.helpers.signed_in import PASSWORD, sign_in, sign_out
from tests.helpers.waiting import wait_for_async

CODE_FREE_FAILURES = 10  # app/auth/code_limit.py
CODE_STEP = 'the code step is shown'
CODE = 'Authentication code'
NOT_VALID = 'That code is not valid (or was already used).'


async def enter_code(user, code: str) -> None:  # type: ignore[no-untyped-def]
    user.find('Authentication code').type(code)
    user.find('Verify').click()


async def test_sign_in_with_totp_then_replay_and_recovery(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await create_user('admin', PASSWORD)
        enrolment = await enrol('admin')
        await sign_in(user)
        await user.should_see('Enter the 6-digit code', retries=50)
        await user.should_not_see('Containers')
        code = pyotp.TOTP(enrolment.secret).now()
        await enter_code(user, code)
        await user.should_see('Containers', retries=50)

        await sign_out(user)
        await sign_in(user)
        await user.should_see('Enter the 6-digit code', retries=50)
        await enter_code(user, code)  # the same code again: refused
        await user.should_see('That code is not valid (or was already used).', retries=50)
        await enter_code(user, enrolment.recovery_codes[0])
        await user.should_see('Containers', retries=50)

        kinds = [e.kind for e in await AuditEvent.all().order_by('id')]
        assert kinds == ['login_succeeded', 'login_failed', 'login_succeeded']


async def answer(page: User, button: str) -> str:
    """Click `button` and wait for what this click answered: the error line, the code step, or SIGNED_IN."""
    assert page.client is not None
    for element in page.client.layout.descendants():  # an answer the page gave before is not this one
        if isinstance(element, ui.label) and element.props.get('data-testid') == 'login-error':
            element.set_text('')
    page.find(button).click()

    def answered() -> str:
        if page.client is not None and page.client.page.path == '/':
            return SIGNED_IN
        if text := error_text(page):
            return text
        if button != 'Sign in':  # the code step stays shown while a code is checked
            return ''
        code_step = (el for el in page.client.layout.descendants() if isinstance(el, ui.input) and el.label == CODE)
        return CODE_STEP if any(all(e.visible for e in (el, *el.ancestors())) for el in code_step) else ''

    return await wait_for_async(answered, timeout=30, interval=0.02, what='the sign-in page to answer')


def wrong_code(secret: str) -> str:
    valid = {pyotp.TOTP(secret).at(time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in (f'{n:06d}' for n in range(123456, 999999, 7919)) if code not in valid)


async def test_wrong_codes_from_any_number_of_addresses_stop_code_checks_for_that_user_for_fifteen_minutes(
    console, dead_engine, clock
) -> None:
    async with console(docker_host=dead_engine):
        await create_user('admin', PASSWORD)
        enrolment = await enrol('admin')
        for i in range(CODE_FREE_FAILURES):  # someone who has the password, a new address for every code
            async with visitor(f'203.0.113.{i + 1}') as page:
                clock.now += USER_INTERVAL  # never held back by the user name's rate: only the codes count here
                await fill_in(page, 'admin', PASSWORD)
                assert await answer(page, 'Sign in') == CODE_STEP
                clock.now += USER_INTERVAL
                page.find(CODE).type(wrong_code(enrolment.secret))
                assert await answer(page, 'Verify') == NOT_VALID
        async with visitor('192.168.1.20') as owner:
            clock.now += USER_INTERVAL
            await fill_in(owner, 'admin', PASSWORD)
            assert await answer(owner, 'Sign in') == CODE_STEP  # the password step is not affected
            clock.now += USER_INTERVAL
            owner.find(CODE).type(pyotp.TOTP(enrolment.secret).now())
            refused = await answer(owner, 'Verify')  # even the right code is not checked now
            assert refused.startswith('Too many wrong codes for this user.') and seconds(refused) > 14 * 60, refused
            clock.now += 15 * 60
            owner.find(CODE).type(pyotp.TOTP(enrolment.secret).now())
            assert await answer(owner, 'Verify') == SIGNED_IN
            await owner.should_see('Containers', retries=50)
