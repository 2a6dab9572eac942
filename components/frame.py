"""The shared page layout: header, navigation drawer, dark mode and sign-out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import app, ui

from components.run_toasts import run_toasts
from ops.manager import Manager

NAVIGATION = (
    ('Overview', '/', 'dashboard'),
    ('Logs', '/logs', 'subject'),
    ('Operations', '/operations', 'play_circle'),
    ('Runs', '/runs', 'history'),
    ('Audit', '/audit', 'fact_check'),
    ('Actions', '/actions', 'approval'),
    ('Alerts', '/alerts', 'notifications'),
    ('Maintenance', '/maintenance', 'build'),
    ('Host', '/host', 'dns'),
)


@contextmanager
def frame(title: str, manager: Manager | None = None) -> Iterator[None]:
    """Wrap a page's content in the console's header and navigation; with a manager, toast finished runs."""
    dark = ui.dark_mode(value=app.storage.user.get('dark', None))
    ui.colors(primary='#2563eb')
    ui.page_title(f'{title} · Homelab')
    drawer = ui.left_drawer(value=None, bordered=True).classes('p-0')
    with ui.header(elevated=True).classes('items-center gap-2 px-3 py-1'):
        ui.button(icon='menu', on_click=drawer.toggle).props('flat round dense color=white')
        ui.label('Homelab').classes('text-lg font-semibold')
        ui.label('/').classes('opacity-60')
        ui.label(title).classes('text-lg').props('data-testid=page-title')
        ui.space()
        ui.button(icon='dark_mode', on_click=lambda: _toggle_dark(dark)).props(
            'flat round dense color=white data-testid=dark-toggle'
        ).tooltip('Light / dark')
        username = app.storage.user.get('username', '')
        with ui.button(icon='account_circle').props('flat round dense color=white'), ui.menu():
            ui.menu_item(f'Signed in as {username}').props('disable')
            sign_out_button()
    with drawer, ui.list().classes('w-full').props('padding'):
        for label, path, icon in NAVIGATION:
            with ui.item(on_click=lambda p=path: ui.navigate.to(p)).props(f'clickable data-nav="{label}"'):
                with ui.item_section().props('avatar'):
                    ui.icon(icon)
                ui.item_section(label)
    if manager is not None:
        run_toasts(manager)
    with ui.column().classes('w-full max-w-screen-2xl mx-auto p-2 sm:p-4 gap-4'):
        yield


def _toggle_dark(dark: ui.dark_mode) -> None:
    # None follows the browser; a click makes the choice explicit and remembers it per user.
    dark.value = not bool(dark.value)
    app.storage.user['dark'] = dark.value


def sign_out_button() -> None:
    """A plain form POST to /logout: the browser sends it with our Origin, so no other site can sign anyone out."""
    with ui.element('form').props('method=post action=/logout').classes('m-0'):
        ui.button('Sign out', icon='logout').props('type=submit flat no-caps align=left data-testid=sign-out').classes(
            'w-full'
        )
