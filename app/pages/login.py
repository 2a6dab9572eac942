"""The sign-in page; there is no sign-up: users are created with `homelab user create`."""

from __future__ import annotations

from nicegui import context, ui

from app.auth.code_limit import CodeLimit
from app.auth.gate import safe_redirect, sessions
from app.auth.known_browsers import DEVICE_COOKIE, known_browsers
from app.auth.oidc_settings import START_PATH, OidcSettings
from app.auth.password_checks import BUSY, PasswordChecks
from app.auth.second_factor import is_enrolled, verify
from app.auth.sessions import COOKIE
from app.auth.sign_in_audit import sign_in_audit
from app.auth.sign_in_browser import browser_mark
from app.auth.throttle import LoginThrottle, Refused
from app.auth.users import authenticate, user_count
from app.system import System

WRONG = 'Wrong user name or password.'


def register(system: System) -> None:
    throttle = LoginThrottle()
    codes = CodeLimit()
    password_checks = PasswordChecks()
    # Every attempt is audited: sign-ins always, anonymous attempts within the console's budget, counted past it.
    audit = sign_in_audit(lambda kind, **fields: system.manager.audit.append(kind, **fields))
    oidc_enabled = OidcSettings().configured

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
        device_cookie = request.cookies.get(DEVICE_COOKIE) if request is not None else None

        async def try_login() -> None:
            name, secret = username.value.strip(), password.value
            password.set_value('')
            device = known_browsers().device(device_cookie, name)
            attempt = throttle.reserve(client, name, device)  # reserved before anything is awaited
            if isinstance(attempt, Refused):
                await audit.refused(name, client)
                show_error(attempt.message)
                return
            button.props('loading')
            user = None
            with attempt:
                async with password_checks.slot(known=device is not None) as free:  # argon2 for the whole console
                    if free:
                        user = await authenticate(name, secret)
                if not free:
                    attempt.not_checked()
                elif user is not None:
                    attempt.passed()
            button.props(remove='loading')
            if not free:
                await audit.refused(name, client)
                show_error(BUSY)
                return
            if user is None:
                await audit.failed(name, client)
                show_error(WRONG)
                return
            if await is_enrolled(user.username):
                pending['username'] = user.username
                error.set_visibility(False)
                first_step.set_visibility(False)
                second_step.set_visibility(True)
                return
            await finish(user.username, device)

        async def try_code() -> None:
            name = pending.get('username', '')
            entered = code.value
            code.set_value('')
            if not name:
                return
            device = known_browsers().device(device_cookie, name)
            # The hard limit on wrong codes for this user name, then the throttle: nothing is awaited in between,
            # and the code counts as wrong from here until it passes.
            attempt = codes.refusal(name) or throttle.reserve(client, name, device)
            if isinstance(attempt, Refused):
                await audit.refused(name, client)
                show_error(attempt.message)
                return
            codes.checking(name)
            with attempt:
                accepted = await verify(name, entered) is not None
                if accepted:
                    attempt.passed()
                    codes.passed(name)
            if not accepted:
                await audit.failed(name, client)
                show_error('That code is not valid (or was already used).')
                return
            await finish(name, device)

        async def finish(name: str, device: str | None) -> None:
            if not await audit.succeeded(name, client):
                show_error('The audit trail cannot be written, so nobody can sign in right now.')
                return
            throttle.succeeded(client, name, device)
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
