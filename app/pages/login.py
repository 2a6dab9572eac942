"""The sign-in page; there is no sign-up: users are created with `homelab user create`."""

from __future__ import annotations

from nicegui import app, ui

from app.auth.gate import is_signed_in, safe_redirect
from app.auth.users import authenticate, user_count
from app.system import System


def register(system: System) -> None:
    @ui.page('/login', title='Sign in · Homelab')
    async def login_page(redirect_to: str = '/') -> None:
        target = safe_redirect(redirect_to)
        if is_signed_in():
            ui.navigate.to(target)
            return
        ui.dark_mode(value=None)
        no_users = await user_count() == 0

        async def try_login() -> None:
            button.props('loading')
            user = await authenticate(username.value.strip(), password.value)
            button.props(remove='loading')
            if user is None:
                error.set_text('Wrong user name or password.')
                error.set_visibility(True)
                password.set_value('')
                return
            app.storage.user.update({'authenticated': True, 'username': user.username})
            ui.navigate.to(target)

        with ui.column().classes('absolute-center items-stretch w-80 max-w-[92vw] gap-3'):
            with ui.row().classes('items-center gap-2 justify-center'):
                ui.icon('dns', size='lg', color='primary')
                ui.label(system.settings.title).classes('text-xl font-semibold')
            with ui.card().classes('w-full'):
                if no_users:
                    ui.label('No user exists yet.').classes('font-semibold')
                    ui.label('Create the first one on the host, then reload this page:').classes('text-sm')
                    ui.code('homelab user create admin', language='bash').classes('w-full')
                username = ui.input('User name').props('autofocus autocomplete=username').classes('w-full')
                password = (
                    ui.input('Password', password=True, password_toggle_button=True)
                    .props('autocomplete=current-password')
                    .classes('w-full')
                )
                password.on('keydown.enter', try_login)
                error = ui.label().classes('text-negative text-sm').props('data-testid=login-error')
                error.set_visibility(False)
                button = ui.button('Sign in', on_click=try_login).classes('w-full').props('data-testid=sign-in')
