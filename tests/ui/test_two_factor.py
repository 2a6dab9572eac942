"""Signing in with TOTP: the code step, a replayed code refused, a recovery code accepted once."""

from __future__ import annotations

import pyotp

from app.auth.second_factor import enrol
from app.auth.users import create_user
from ops.store.models import AuditEvent
from tests.ui.conftest import PASSWORD, sign_in, sign_out


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
