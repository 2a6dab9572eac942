"""The Logs page through NiceGUI's simulated user, against the real engine and the dev stack's logger."""

from __future__ import annotations

import threading
from typing import cast

from nicegui import ui
from nicegui.testing import User

from components.log_slot import log_slot
from tests.helpers.logs_page import panes
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for_async

LOGGER = 'homelab-dev-logger-1'


def streams_of(container: str) -> int:
    """Engine log streams open for `container` (the log hub reads each with one thread of this name)."""
    return sum(1 for thread in threading.enumerate() if thread.name == f'logs:{container}' and thread.is_alive())


def empty_picker(user: User) -> ui.select:
    """The picker of the pane just added (the one nothing is picked in yet)."""
    return next(cast(ui.select, p) for p in user.find(marker='log-picker').elements if not cast(ui.select, p).value)


async def test_a_pane_follows_the_logger_and_closing_it_ends_the_engine_stream(signed_in_console) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await user.open(f'/logs?container={LOGGER}')
        await user.should_see('Live logs')
        pane = (await wait_for_async(lambda: panes(user), timeout=10, what='a log pane'))[0]
        await wait_for_async(lambda: 'line' in pane.visible_text(), timeout=20, what='logger lines in the pane')
        assert '<script>alert(1)</script>' in pane.visible_text()  # kept as text, ANSI codes stripped
        assert '\x1b' not in pane.visible_text()
        assert streams_of(LOGGER) == 1
        user.find(marker='close-pane').click()
        await wait_for_async(lambda: streams_of(LOGGER) == 0, timeout=15, what='the engine stream to close')
        await user.should_not_see(marker='close-pane')


async def test_two_panes_of_one_container_share_one_engine_stream_and_a_stack_view_prefixes_services(
    signed_in_console,
) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await user.open(f'/logs?container={LOGGER}')
        await wait_for_async(lambda: panes(user), timeout=10, what='the first pane')
        user.find(marker='add-pane').click()
        slots = [cast(log_slot, s) for s in user.find(log_slot).elements]
        assert len(slots) == 2
        picker = empty_picker(user)
        assert LOGGER in picker.options  # a picker of the live container list, not free text
        picker.set_value(LOGGER)
        await wait_for_async(lambda: len(panes(user)) == 2, timeout=10, what='the second pane')
        await wait_for_async(
            lambda: all('line' in p.visible_text() for p in panes(user)), timeout=20, what='lines in both panes'
        )
        assert streams_of(LOGGER) == 1
        user.find(marker='add-stack-pane').click()
        stack_picker = empty_picker(user)
        assert 'homelab-dev' in stack_picker.options
        stack_picker.set_value('homelab-dev')
        await wait_for_async(lambda: len(panes(user)) == 3, timeout=10, what='the stack pane')
        stack = next(p for p in panes(user) if p.sources != {'': LOGGER})
        await wait_for_async(lambda: 'logger | ' in stack.visible_text(), timeout=20, what='prefixed logger lines')
    # Leaving the page ends every subscription; the hub closes each stream with its last viewer.
    await wait_for_async(lambda: streams_of(LOGGER) == 0, timeout=20, what='the engine streams to close')


async def test_an_invalid_regex_says_so(signed_in_console) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await user.open(f'/logs?container={LOGGER}')
        await wait_for_async(lambda: panes(user), timeout=10, what='a pane')
        user.find(marker='log-regex').click()
        user.find(marker='log-filter').type('line (')
        await user.should_see('Not a valid regular expression', retries=50)


async def test_pausing_counts_new_lines_and_resuming_shows_them(signed_in_console) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await user.open(f'/logs?container={LOGGER}')
        pane = (await wait_for_async(lambda: panes(user), timeout=10, what='a pane'))[0]
        await wait_for_async(lambda: pane.sent_lines > 0, timeout=20, what='first lines')
        user.find(marker='log-follow').click()
        sent = pane.sent_lines
        badge = cast(ui.badge, next(iter(user.find(marker='log-new-lines').elements)))
        await wait_for_async(
            lambda: badge.visible and badge.text.startswith(('2 ', '3 ', '4 ')),
            timeout=20,
            what='the new-lines counter to count up',
        )
        assert pane.sent_lines == sent  # nothing goes to the browser while paused
        user.find(marker='log-follow').click()
        await wait_for_async(lambda: pane.sent_lines >= sent + 2, timeout=5, what='the held lines to be shown')
        await wait_for_async(lambda: not badge.visible, timeout=5, what='the counter to go away')
