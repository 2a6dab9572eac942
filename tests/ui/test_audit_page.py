"""The Audit page: chain status, filters, keyset paging, and exports that a spreadsheet cannot turn into formulas."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import cast

import httpx
from nicegui import core, ui
from nicegui.testing import User

from app.auth.users import create_user
from ops.store.history import audit_csv
from ops.store.models import AuditEvent
from tests.helpers.history_pages import events_shown, filter_field
from tests.helpers.operations_page import ended, form, open_operations, run_from_operations
from tests.helpers.signed_in import PASSWORD, sign_in
from tests.helpers.waiting import wait_for_async


async def refuse_one_and_run_one(user: User) -> int:
    cast(ui.input, form(user, 'docker_logs').fields['since']).value = 'yesterday'
    user.find(marker='run-docker_logs').click()
    refused = await ended(user, 'docker_logs')
    user.find(marker='run-host_reboot_required').click()
    await ended(user, 'host_reboot_required')
    return refused.run_id


async def test_the_audit_trail_filters_and_exports_what_it_shows(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        refused = await refuse_one_and_run_one(user)
        await user.open('/audit')
        await user.should_see(f'Chain intact ({await AuditEvent.all().count()} events)', retries=100)
        await wait_for_async(
            lambda: len([e for e in events_shown(user) if e['run_id']]) == 3, timeout=10, what='three run events'
        )

        cast(ui.select, filter_field(user, 'kind')).value = 'rejected'
        await wait_for_async(
            lambda: [(e['kind'], e['run_id']) for e in events_shown(user)] == [('rejected', refused)],
            timeout=10,
            what='only the refusal',
        )
        user.find(marker='export-csv').click()
        rows = list(csv.DictReader(io.StringIO((await user.download.next(timeout=5)).text)))
        assert [(row['kind'], row['run_id'], row['actor']) for row in rows] == [('rejected', str(refused), 'ui:admin')]
        assert 'since' in json.loads(rows[0]['detail'])['error']

        user.find(marker='export-json').click()
        exported = json.loads((await user.download.next(timeout=5)).text)
        assert [(e['kind'], e['run_id']) for e in exported] == [('rejected', refused)]
        await user.should_see('Exported 1 audit events as JSON')


async def test_an_edited_event_breaks_the_chain_visibly(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        refused = await refuse_one_and_run_one(user)
        edited = await AuditEvent.get(run_id=refused, kind='rejected')
        before = await AuditEvent.filter(id__lt=edited.id).count()
        await AuditEvent.filter(id=edited.id).update(actor='mallory')
        await user.open('/audit')
        await user.should_see(f'Chain broken at event #{edited.id}', retries=100)
        events = f'{before} event' if before == 1 else f'{before} events'
        await user.should_see(f'Event #{edited.id} was edited; the {events} before it are intact.')


def test_csv_cells_a_spreadsheet_would_run_are_neutralised() -> None:
    event = AuditEvent(
        id=7,
        at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        actor='=HYPERLINK("http://evil.example","x")',
        origin='+ui',
        kind='@requested',
        operation='-docker_status',
        run_id=7,
        detail={'note': '=1+1'},
        prev_hash='0' * 64,
        hash='a' * 64,
    )
    row = next(csv.DictReader(io.StringIO(audit_csv([event]))))
    assert row['actor'] == '\'=HYPERLINK("http://evil.example","x")'
    assert (row['origin'], row['kind'], row['operation']) == ("'+ui", "'@requested", "'-docker_status")
    assert json.loads(row['detail']) == {'note': '=1+1'}  # inside JSON text, not at a cell's start


async def test_new_events_appear_live_and_the_chain_check_says_it_is_older(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        await user.open('/audit')
        await user.should_see('Chain intact', retries=100)
        await user.should_not_see('New events were added since this check.')
        run_id = await run_from_operations(User(user.http_client), 'host_reboot_required')  # a second tab
        await wait_for_async(
            lambda: (
                {(e['kind'], e['run_id']) for e in events_shown(user)} >= {('requested', run_id), ('finished', run_id)}
            ),
            timeout=10,
            what='the new run events on the open Audit page',
        )
        await user.should_see('New events were added since this check.', retries=50)
        user.find('Verify again').click()
        await user.should_not_see('New events were added since this check.', retries=50)
        await user.should_see(f'Chain intact ({await AuditEvent.all().count()} events)', retries=100)


async def test_deleting_the_newest_events_shows_on_the_next_check(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        await refuse_one_and_run_one(user)
        await user.open('/audit')
        await user.should_see(f'Chain intact ({await AuditEvent.all().count()} events)', retries=100)

        newest = await AuditEvent.all().order_by('-id').limit(3).values_list('id', flat=True)
        await AuditEvent.filter(id__in=newest).delete()  # as an intruder with the database file would
        user.find('Verify again').click()

        await user.should_see('The newest 3 events are missing', retries=100)
        await user.should_not_see('Chain intact')


async def test_a_sign_in_elsewhere_appears_on_the_open_audit_page(console, dead_engine) -> None:
    async with console(docker_host=dead_engine) as user:
        await open_operations(user)
        await user.open('/audit')
        await user.should_see('Chain intact', retries=100)
        await create_user('bob', PASSWORD)
        transport = httpx.ASGITransport(core.app, client=('192.0.2.7', 50_000))
        async with httpx.AsyncClient(transport=transport, base_url='http://test') as http:
            other = User(http)  # bob, in a browser of his own
            await sign_in(other, 'bob')
            await other.should_see('Containers', retries=50)
            await wait_for_async(
                lambda: any((e['kind'], e['actor']) == ('login_succeeded', 'ui:bob') for e in events_shown(user)),
                timeout=10,
                what="bob's sign-in on the Audit page open without a reload",
            )
