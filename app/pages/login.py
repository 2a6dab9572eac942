"""The sign-in page; there is no sign-up: users are created with `homelab user create`."""

from __future__ import annotations

from nicegui import context, ui

from app.auth.gate import safe_redirect, sessions
from app.auth.oidc import START_PATH, OidcSettings
from app.auth.second_factor import is_enrolled, verify
from app.auth.sessions import COOKIE
from app.auth.sign_in_browser import browser_mark
from app.auth.throttle import LoginThrottle, Refused
from app.auth.throttled_audit import throttled_audit
from app.auth.users import authenticate, user_count
from app.system import System
from ops.store.audit import AuditUnavailable

WRONG = 'Wrong user name or password.'


def register(system: System) -> None:
    throttle = LoginThrottle()
    refusals = throttled_audit(lambda kind, **fields: system.manager.audit.append(kind, **fields))
    oidc_enabled = OidcSettings().configured

    async def record(kind: str, username: str, client: str) -> bool:
        """Audit every attempt; when the trail cannot be written, nobody signs in (nothing goes unrecorded).

        Refused (throttled) attempts are counted per address and written as one event per window with a count,
        so someone who cannot sign in cannot fill the database; checked attempts are bounded by the throttle.
        """
        if kind == 'login_throttled':
            return await refusals.note(client, username)
        try:
            await system.manager.audit.append(
                kind,
                actor=f'ui:{username[:64]}' if kind == 'login_succeeded' else f'anonymous@{client}',
                origin='ui',
                detail={'username': username[:64], 'client': client},
            )
        except AuditUnavailable:
            return False
        return True

    @ui.page('/login', title='Sign in · Homelab')
    async def login_page(redirect_to: str = '/') -> None:
        target = safe_redirect(redirect_to)
        request = context.client.request
        if request is not None and await sessions().check(request.cookies.get(COOKIE)) is not None:
            ui.navigate.to(target)
            return
        ui.dark_mode(value=None)
        no_users = await user_count() == 0
        client = request.client.host if request is not None and request.client is not None else 'unknown'
        browser = browser_mark(request) if request is not None else ''

        async def try_login() -> None:
            name, secret = username.value.strip(), password.value
            password.set_value('')
            attempt = throttle.reserve(client, name)  # reserved before anything is awaited
            if isinstance(attempt, Refused):
                await record('login_throttled', name, client)
                show_error(attempt.message)
                return
            button.props('loading')
            with attempt:
                user = await authenticate(name, secret)
                if user is not None:
                    attempt.passed()
            button.props(remove='loading')
            if user is None:
                await record('login_failed', name, client)
                show_error(WRONG)
                return
            if await is_enrolled(user.username):
                pending['username'] = user.username
                error.set_visibility(False)
                first_step.set_visibility(False)
                second_step.set_visibility(True)
                return
            await finish(user.username)

        async def try_code() -> None:
            name = pending.get('username', '')
            entered = code.value
            code.set_value('')
            if not name:
                return
            attempt = throttle.reserve(client, name)
            if isinstance(attempt, Refused):
                await record('login_throttled', name, client)
                show_error(attempt.message)
                return
            with attempt:
                accepted = await verify(name, entered) is not None
                if accepted:
                    attempt.passed()
            if not accepted:
                await record('login_failed', name, client)
                show_error('That code is not valid (or was already used).')
                return
            await finish(name)

        async def finish(name: str) -> None:
            if not await record('login_succeeded', name, client):
                show_error('The audit trail cannot be written, so nobody can sign in right now.')
                return
            throttle.succeeded(client, name)
            pending.clear()
            # The session cookie can only be set over HTTP: hand a one-time ticket to /auth/complete,
            # which only this browser (the one that loaded this page) can redeem.
            ticket = sessions().issue_ticket(name, client, target, browser)
            ui.navigate.to(f'/auth/complete?ticket={ticket}')

        def show_error(text: str) -> None:
            error.set_text(text)
            error.set_visibility(True)

        with ui.column().classes('absolute-center items-stretch w-80 max-w-[92vw] gap-3'):
            with ui.row().classes('items-center gap-2 justify-center'):
                ui.icon('dns', size='lg', color='primary')
                ui.label(system.settings.title).classes('text-xl font-semibold')
            with ui.card().classes('w-full'):
                if no_users:
                    ui.label('No user exists yet.').classes('font-semibold')
                    ui.label('Create the first one on the host, then reload this page:').classes('text-sm')
                    ui.code('homelab user create admin', language='bash').classes('w-full')
                pending: dict[str, str] = {}
                with ui.column().classes('w-full') as first_step:
                    username = ui.input('User name').props('autofocus autocomplete=username').classes('w-full')
                    password = (
                        ui.input('Password', password=True, password_toggle_button=True)
                        .props('autocomplete=current-password')
                        .classes('w-full')
                    )
                    password.on('keydown.enter', try_login)
                    button = ui.button('Sign in', on_click=try_login).classes('w-full').props('data-testid=sign-in')
                with ui.column().classes('w-full') as second_step:
                    ui.label('Enter the 6-digit code from your authenticator app, or a recovery code.').classes(
                        'text-sm'
                    )
                    code = ui.input('Authentication code').props('autocomplete=one-time-code').classes('w-full')
                    code.on('keydown.enter', try_code)
                    ui.button('Verify', on_click=try_code).classes('w-full').props('data-testid=verify-code')
                second_step.set_visibility(False)
                if oidc_enabled:
                    ui.button('Sign in with single sign-on', icon='login').classes('w-full').props(
                        'outline data-testid=sign-in-oidc'
                    ).on('click', lambda: ui.navigate.to(START_PATH))
                error = ui.label().classes('text-negative text-sm').props('data-testid=login-error')
                error.set_visibility(False)
