"""Signing in and out through the login page in NiceGUI's simulated user, and the admin signed in at once."""

from __future__ import annotations

from nicegui.testing import User

from app.auth.users import create_user

PASSWORD = 'correct horse battery staple'


async def sign_in(user: User, username: str = 'admin', password: str = PASSWORD) -> None:
    await user.open('/login')
    user.find('User name').type(username)
    user.find('Password').type(password)
    user.find('Sign in').click()


async def sign_out(user: User) -> None:
    """What the menu's Sign out sends: a same-origin form POST carrying the session cookie."""
    base = str(user.http_client.base_url).rstrip('/')
    response = await user.http_client.post('/logout', headers={'Origin': base}, follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'] == '/login', response.text
    # The open page of that session is sent to /login at once; wait for it so it cannot race what comes next.
    await user.should_see('Sign in', retries=50)


async def sign_in_as_admin(user: User) -> None:
    """Create the admin user, sign in with its password and wait for the Overview."""
    await create_user('admin', PASSWORD)
    await sign_in(user)
    await user.should_see('Containers', retries=50)
