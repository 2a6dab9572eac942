"""The Operations page through NiceGUI's simulated user: forms from the catalog, confirmation, live runs, refusals."""

from __future__ import annotations

from typing import cast

from nicegui import ui
from nicegui.testing import User

from components.op_form import op_form
from ops.catalog import catalog
from tests.helpers.operations_page import ended, form, open_operations, run_views
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for_async

GROUP_HEADINGS = {'Docker', 'Containers', 'Stacks', 'Host', 'Backups'}


def group_of_each_form(user: User) -> tuple[list[str], dict[str, str]]:
    """The group headings in page order, and for each operation's form the heading it is listed under."""
    headings: list[str] = []
    under: dict[str, str] = {}
    for element in user.client.layout.descendants():
        if isinstance(element, ui.label) and element.text in GROUP_HEADINGS:
            headings.append(element.text)
        elif isinstance(element, op_form):
            under[element.spec.name] = headings[-1] if headings else ''
    return headings, under


async def test_the_catalog_is_grouped_and_its_fields_follow_the_params_models(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        await user.should_see('Containers')
        await user.should_see('Host')
        assert sorted(form.spec.name for form in user.find(op_form).elements) == catalog().names()
        logs = form(user, 'docker_logs').fields
        assert isinstance(logs['container'], ui.select)  # a choice, never free text
        assert isinstance(logs['follow'], ui.switch)
        tail = cast(ui.number, logs['tail'])
        assert isinstance(tail, ui.number) and (tail.min, tail.max, tail.value) == (1, 10000, 200)
        assert isinstance(form(user, 'host_journal').fields['unit'], ui.select)
        assert isinstance(form(user, 'host_network_probe').fields['target'], ui.select)
        assert isinstance(form(user, 'docker_up_all').fields['stack'], ui.select)
        await user.should_see('Run an operation: its progress and output appear here.')


async def test_each_operation_is_listed_under_its_group_stacks_ones_under_stacks(console, dead_engine) -> None:
    """Issue 12 item 7: stack_service_up and stack_orphan_remove were listed under Host."""
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        headings, under = group_of_each_form(user)
        assert headings == ['Containers', 'Stacks', 'Host', 'Backups']
        assert (under['stack_service_up'], under['stack_orphan_remove']) == ('Stacks', 'Stacks')
        assert (under['docker_up_all'], under['docker_pull_all']) == ('Stacks', 'Stacks')
        assert (under['docker_restart'], under['docker_logs']) == ('Containers', 'Containers')
        assert (under['host_reboot'], under['host_journal']) == ('Host', 'Host')
        assert (under['backup_run'], under['backup_status']) == ('Backups', 'Backups')


async def test_a_read_only_run_shows_its_state_output_and_a_toast(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        user.find(marker='run-host_reboot_required').click()
        view = await ended(user, 'host_reboot_required')
        assert view.state == 'succeeded'
        # The toast names the operation as people see it (its label), not by its catalog name.
        await user.should_see(f'#{view.run_id} Check whether a reboot is needed succeeded', retries=50)


async def test_a_failing_run_says_why(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        user.find(marker='run-docker_status').click()
        view = await ended(user, 'docker_status')
        assert view.state == 'failed'
        assert view.error.text, 'the reason is shown'
        await user.should_see(f'#{view.run_id} List containers failed', retries=50)


async def test_a_refused_request_shows_the_managers_message(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        since = form(user, 'docker_logs').fields['since']
        since.value = 'yesterday'
        user.find(marker='run-docker_logs').click()
        view = await ended(user, 'docker_logs')
        assert view.state == 'rejected'
        await user.should_see("docker_logs refused: invalid arguments: missing argument 'container'", retries=50)
        await user.should_see('since: String should match pattern')
        await user.should_see(f'#{view.run_id} Container log rejected', retries=50)


async def test_a_change_asks_first_and_says_what_will_happen(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        user.find(marker='run-backup_run').click()
        await user.should_see('Back up now?', retries=50)
        await user.should_see('The host is asked to start its backup unit now')
        await user.should_see('It runs as ui:admin and is recorded in the audit trail.')
        user.find('Cancel').click()
        await user.should_not_see('Back up now?', retries=50)
        assert not run_views(user), 'nothing ran'

        user.find(marker='run-backup_run').click()
        await user.should_see('Back up now?', retries=50)
        user.find(marker='confirm-run').click()
        view = await ended(user, 'backup_run')
        assert view.state in {'succeeded', 'failed'}


async def test_a_followed_log_streams_until_cancelled_and_its_detail_page_is_live(console) -> None:
    require_dev_stack()
    async with console() as user:
        await open_operations(user)
        fields = form(user, 'docker_logs').fields
        await wait_for_async(
            lambda: 'homelab-dev-logger-1' in cast(ui.select, fields['container']).options, timeout=20, what='logger'
        )
        fields['container'].value = 'homelab-dev-logger-1'
        fields['follow'].value = True
        fields['tail'].value = 5
        user.find(marker='run-docker_logs').click()
        view = await wait_for_async(lambda: next(iter(run_views(user)), None), timeout=10, what='a run view')
        assert view is not None
        await wait_for_async(lambda: len(view.output.default_slot.children) >= 3, timeout=30, what='streamed lines')
        assert view.state == 'running'

        await user.open(f'/runs/{view.run_id}')
        await user.should_see('Cancel', retries=50)
        live = await wait_for_async(lambda: next(iter(run_views(user)), None), timeout=10, what='the live view')
        assert live is not None
        await wait_for_async(lambda: len(live.output.default_slot.children) >= 5, timeout=30, what='lines so far')
        user.find('Cancel').click()
        await user.should_see(f'#{view.run_id} Container log cancelled', retries=100)
        await user.should_see('Result', retries=50)
        assert not run_views(user), 'the finished run is shown from the record, without a live view'
