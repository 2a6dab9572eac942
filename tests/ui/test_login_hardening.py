"""Login throttling and login auditing, through NiceGUI's simulated user."""

from __future__ import annotations

from app.auth.throttle import FREE_ATTEMPTS
from app.auth.users import create_user
from ops.store.models import AuditEvent
from tests.helpers.signed_in import PASSWORD, sign_in


async def test_after_repeated_failures_even_the_right_password_is_refused_for_a_while(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await create_user('admin', PASSWORD)
        for _ in range(FREE_ATTEMPTS):
            await sign_in(user, password='not the password at all')
            await user.should_see('Wrong user name or password.', retries=50)
        await sign_in(user)
        await user.should_see('Too many failed attempts', retries=50)
        await user.should_not_see('Containers')
        kinds = [e.kind for e in await AuditEvent.all().order_by('id')]
        assert kinds.count('login_failed') == FREE_ATTEMPTS
        assert kinds[-1] == 'login_throttled'


async def test_every_sign_in_is_audited_and_unknown_names_look_like_wrong_passwords(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await create_user('admin', PASSWORD)
        await sign_in(user, username='ghost')
        await user.should_see('Wrong user name or password.', retries=50)
        await sign_in(user)
        await user.should_see('Containers', retries=50)
        events = await AuditEvent.all().order_by('id')
        assert [(e.kind, e.detail['username']) for e in events] == [
            ('login_failed', 'ghost'),
            ('login_succeeded', 'admin'),
        ]
        assert events[-1].actor == 'ui:admin'
