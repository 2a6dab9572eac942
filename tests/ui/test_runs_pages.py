"""The Runs page and a run's detail page: history, filters, keyset paging, and live updates without a reload."""

from __future__ import annotations

from typing import cast

from nicegui import ui
from nicegui.testing import User

from components import pager
from tests.helpers.history_pages import runs_shown
from tests.helpers.operations_page import open_operations, run_from_operations
from tests.helpers.waiting import wait_for_async


async def test_a_run_appears_on_the_runs_page_and_in_its_detail(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        run_id = await run_from_operations(user, 'host_reboot_required')
        await user.open('/runs')
        row = await wait_for_async(
            lambda: next((r for r in runs_shown(user) if r['id'] == run_id), None), timeout=10, what='the run row'
        )
        assert row is not None
        assert (row['operation'], row['state'], row['actor'], row['origin']) == (
            'host_reboot_required',
            'succeeded',
            'ui:admin',
            'ui',
        )

        await user.open(f'/runs/{run_id}')
        await user.should_see('Arguments', retries=50)
        await user.should_see('ui:admin')
        await user.should_see('Audit events')
        kinds = {row['kind'] for table in user.find(ui.table).elements for row in cast(ui.table, table).rows}
        assert kinds == {'requested', 'finished'}
        await user.should_see('"required": false', retries=5)  # the result, as formatted JSON text


async def test_a_missing_run_says_so(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        await user.open('/runs/424242')
        await user.should_see('There is no run #424242.', retries=50)


async def test_filters_and_keyset_pages(console, dead_engine, monkeypatch) -> None:
    monkeypatch.setattr(pager, 'PAGE_SIZE', 2)  # read when the console starts
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        failed = await run_from_operations(user, 'docker_status')
        done = [await run_from_operations(user, 'host_reboot_required') for _ in range(2)]
        await user.open('/runs')
        await wait_for_async(
            lambda: ids(user) == [done[1], done[0]], timeout=10, what=f'the newest page {done} {ids(user)}'
        )
        user.find(marker='page-older').click()
        await wait_for_async(lambda: ids(user) == [failed], timeout=10, what='the older page')
        user.find(marker='page-newer').click()
        await wait_for_async(lambda: ids(user) == [done[1], done[0]], timeout=10, what='back to the newest')

        state = next(e for e in user.find(ui.select).elements if e.props.get('data-filter') == 'state')
        cast(ui.select, state).value = 'failed'
        await wait_for_async(lambda: ids(user) == [failed], timeout=10, what='only the failed run')
        cast(ui.select, state).value = None
        operation = next(e for e in user.find(ui.select).elements if e.props.get('data-filter') == 'operation')
        cast(ui.select, operation).value = 'host_reboot_required'
        await wait_for_async(lambda: ids(user) == [done[1], done[0]], timeout=10, what='only host_reboot_required')


async def test_a_new_run_shows_up_without_a_reload(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        await user.open('/runs')
        await user.should_see('Newest', retries=50)
        assert ids(user) == []
        other_tab = User(user.http_client)  # the same person in a second tab
        run_id = await run_from_operations(other_tab, 'host_reboot_required')
        await wait_for_async(lambda: ids(user) == [run_id], timeout=10, what='the new run on the open Runs page')
        row = runs_shown(user)[0]
        await wait_for_async(lambda: runs_shown(user)[0]['state'] == 'succeeded', timeout=10, what=f'{row} ended')


def ids(user: User) -> list[int]:
    return [row['id'] for row in runs_shown(user)]
