"""The Operations page in NiceGUI's simulated user: open it signed in, find a form, wait for a run to end."""

from __future__ import annotations

from nicegui.testing import User

from components.op_form import op_form
from components.run_view import run_view
from tests.helpers.signed_in import sign_in_as_admin
from tests.helpers.waiting import wait_for_async


async def open_operations(user: User) -> None:
    await sign_in_as_admin(user)
    await user.open('/operations')
    await user.should_see('docker_status', retries=50)


def form(user: User, operation: str) -> op_form:
    found = [e for e in user.find(op_form).elements if e.spec.name == operation]
    assert found, f'no form for {operation}'
    return found[0]


def run_views(user: User) -> list[run_view]:
    try:
        return list(user.find(run_view).elements)
    except AssertionError:  # none yet
        return []


async def ended(user: User, operation: str) -> run_view:
    def check() -> run_view | None:
        for view in run_views(user):
            if view.operation == operation and view.state not in {'pending', 'running'}:
                return view
        return None

    view = await wait_for_async(check, timeout=20, what=f'{operation} to end in its run view')
    assert view is not None
    return view


async def run_from_operations(user: User, operation: str) -> int:
    await user.open('/operations')
    await user.should_see(operation, retries=50)
    user.find(marker=f'run-{operation}').click()
    return (await ended(user, operation)).run_id
