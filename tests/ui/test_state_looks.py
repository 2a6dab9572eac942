"""States look the same wherever they are shown: recent runs as on the Runs page, action events on the Audit page."""

from __future__ import annotations

from typing import Any, cast

from nicegui import ui
from nicegui.testing import User

from components.recent_runs import recent_runs
from ops.store.audit import AuditLog
from ops.store.models import Run
from tests.helpers.history_pages import events_shown, filter_field, runs_shown
from tests.helpers.operations_page import open_operations
from tests.helpers.waiting import wait_for_async

ACTION_KINDS = ('action_proposed', 'action_approved', 'action_rejected', 'action_refused')
UNKNOWN_KIND_COLOR = 'grey-7'  # what the Audit page gives a kind it does not know


def recent_badges(user: User) -> dict[str, tuple[str, str]]:
    """Recent runs on the Overview: operation -> (badge text, badge colour)."""
    shown: dict[str, tuple[str, str]] = {}
    for column in user.find(recent_runs).elements:
        for badge in column.descendants():
            if isinstance(badge, ui.badge) and 'data-run-state' in badge.props:
                operation = str(badge.props['data-run-state']).split(':')[0]
                shown[operation] = (badge.text, str(badge.props.get('color')))
    return shown


async def test_recent_runs_look_as_on_the_runs_page(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        for state in ('timed_out', 'cancelled', 'rejected'):
            await Run.create(operation=f'op_{state}', actor='ui:admin', origin='ui', state=state)
        await user.open('/runs')
        await wait_for_async(lambda: len(runs_shown(user)) == 3, timeout=10, what='three runs on the Runs page')
        on_runs_page = {row['operation']: (row['state_words'], row['state_color']) for row in runs_shown(user)}
        assert on_runs_page['op_timed_out'][0] == 'timed out'

        await user.open('/')
        await wait_for_async(lambda: len(recent_badges(user)) == 3, timeout=10, what='three recent runs')
        assert recent_badges(user) == on_runs_page


async def test_the_audit_filter_offers_and_colours_action_events(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        audit = AuditLog()
        for kind in ACTION_KINDS:
            await audit.append(kind, actor='supervisor', origin='supervisor', operation='docker_status', detail={})
        await user.open('/audit')
        await wait_for_async(
            lambda: {e['kind'] for e in events_shown(user)} >= set(ACTION_KINDS), timeout=10, what='the action events'
        )
        colors = {e['kind']: e['kind_color'] for e in events_shown(user)}
        assert all(colors[kind] != UNKNOWN_KIND_COLOR for kind in ACTION_KINDS), colors

        offered: Any = cast(ui.select, filter_field(user, 'kind')).options  # a list of kinds, or kinds to labels
        assert set(offered) >= {*ACTION_KINDS, 'requested', 'finished', 'rejected', 'login_failed'}

        cast(ui.select, filter_field(user, 'kind')).value = 'action_rejected'
        await wait_for_async(
            lambda: [e['kind'] for e in events_shown(user)] == ['action_rejected'],
            timeout=10,
            what='only the rejection',
        )
