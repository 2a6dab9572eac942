"""The login gate and the Overview, through NiceGUI's simulated user (no browser)."""

from __future__ import annotations

from typing import cast

import pytest
from nicegui.testing import User

from app.auth.users import create_user
from components.container_entry import container_entry
from ops.docker.containers import ContainerInfo
from tests.helpers.rig import require_dev_stack
from tests.helpers.signed_in import PASSWORD, sign_in
from tests.helpers.waiting import wait_for_async


async def test_anonymous_visitors_are_sent_to_login_and_told_how_to_create_a_user(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await user.open('/')
        await user.should_see('Sign in')
        await user.should_see('No user exists yet.')
        await user.should_see('homelab user create admin')
        await user.should_not_see('Containers')


async def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await create_user('admin', PASSWORD)
        await sign_in(user, password='wrong password here')
        await user.should_see('Wrong user name or password.', retries=50)
        await sign_in(user, username='nobody')
        await user.should_see('Wrong user name or password.', retries=50)
        await user.open('/')
        await user.should_see('Sign in')


async def test_signed_in_overview_says_plainly_when_the_engine_is_unreachable(signed_in_console, dead_engine) -> None:
    async with signed_in_console(docker_host=dead_engine) as user:
        await user.should_see('Docker engine unreachable', retries=50)
        await user.should_see('the Docker socket does not exist')
        # Every page of the console is tested in its own file; the Actions page works without an engine too.
        await user.open('/actions')
        await user.should_see('Nothing to decide: no action is waiting for approval.')


async def test_overview_lists_the_real_engines_containers(signed_in_console) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        web = await wait_for_async(lambda: _row(user, 'homelab-dev-web-1'), timeout=20, what='web on the Overview')
        assert (web.stack, web.service, web.state, web.image) == ('homelab-dev', 'web', 'running', 'busybox:1.36')
        await wait_for_async(
            lambda: getattr(_row(user, 'homelab-dev-sick-1'), 'health', None) == 'unhealthy',
            timeout=30,
            what='sick shown unhealthy',
        )
        await user.should_not_see('Docker engine unreachable')


def _row(user: User, name: str) -> ContainerInfo | None:
    """What the Overview's row for `name` shows."""
    for entry in user.find(container_entry).elements:
        info = cast(container_entry, entry).info
        if info.name == name:
            return info
    return None


@pytest.mark.parametrize('target', ['//evil.example/', 'https://evil.example/', '/\\evil.example'])
async def test_redirect_after_login_only_goes_to_local_paths(console, dead_engine, target: str) -> None:
    async with console(docker_host=dead_engine) as user:
        await create_user('admin', PASSWORD)
        await user.open(f'/login?redirect_to={target}')
        user.find('User name').type('admin')
        user.find('Password').type(PASSWORD)
        user.find('Sign in').click()
        await user.should_see('Containers', retries=50)
