"""CPU, memory and health on the pages through NiceGUI's simulated user, with stand-ins for the stats collector
and the histories (tests/helpers/stats_stand_in.py): rows change in place per tick, charts and lists show them."""

from __future__ import annotations

import time
from typing import cast

from nicegui import ui
from nicegui.element import Element
from nicegui.testing import User

from components.container_entry import container_entry
from components.health_timeline import health_timeline
from components.stack_cards import stack_card, stack_cards
from components.stat_charts import stat_chart
from components.top_consumers import usage_list
from components.usage_text import cpu_text, memory_text
from ops.docker.containers import ContainerState
from ops.stats.samples import ContainerSample
from tests.helpers.rig import require_dev_stack
from tests.helpers.stats_stand_in import Consumer, StackTotal, StandIns, sample
from tests.helpers.stats_stand_in import stand_ins as stand_ins  # the fixture
from tests.helpers.waiting import wait_for_async

WEB = 'homelab-dev-web-1'
MIB = 1024**2


async def test_each_tick_changes_the_rows_numbers_in_place_never_the_table(
    signed_in_console, stand_ins: StandIns
) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        web = await wait_for_async(lambda: _entry(user, WEB), timeout=20, what='web on the Overview')
        await wait_for_async(lambda: web.info.state == ContainerState.RUNNING, timeout=60, what='web running')
        (board,) = user.find(stack_cards).elements
        rows = _running_rows(user)
        ids_before = {row.id for row in user.find(container_entry).elements}
        assert web.usage.props['cpu'] == '—'  # nothing measured yet

        updated = _recording(user)
        start = time.time()
        for tick, cpu in enumerate((12.5, 47.25, 3.0)):
            updated.clear()
            stand_ins.stats.feed(
                _tick(rows, [cpu + i for i in range(len(rows))], (100 + tick) * MIB, start + 10 * tick)
            )
            index = rows.index(web)
            assert web.usage.props['cpu'] == cpu_text(cpu + index)
            assert web.usage.props['memory'] == memory_text((100 + tick) * MIB, 1024**3)
            # The tick touched each running row's numbers and lines and the cards' sums: no row, card or list whole.
            cells = {row.id: {row.usage.id, *(d.id for d in row.usage.descendants())} for row in rows}
            totals = {cast(stack_card, card).totals.id for card in user.find(stack_card).elements}
            assert all(ids & {el.id for el in updated} for ids in cells.values()), 'a running row got no update'
            allowed = set().union(*cells.values()) | totals
            assert {el.id for el in updated} <= allowed, [
                (type(el).__name__, el.props) for el in updated if el.id not in allowed
            ]
        assert {row.id for row in user.find(container_entry).elements} == ids_before  # the same rows, never redrawn
        assert web.usage.props['cpu-points'].count(',') == 3  # three ticks on the sparkline
        card = _card(user, 'homelab-dev')
        in_card = [row for row in rows if row.info.stack == 'homelab-dev']
        total = sum(3.0 + rows.index(row) for row in in_card)
        assert card.totals.text == f'CPU {cpu_text(total)} · Mem {memory_text(102 * MIB * len(in_card), None)}'
        assert board.id in {el.id for el in user.find(stack_cards).elements}


async def test_sorting_by_cpu_moves_rows_without_redrawing_them(signed_in_console, stand_ins: StandIns) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await wait_for_async(lambda: _entry(user, WEB), timeout=20, what='web on the Overview')
        rows = sorted(
            (row for row in _running_rows(user) if row.info.stack == 'homelab-dev'), key=lambda r: r.info.name
        )
        assert len(rows) >= 2, [row.info.name for row in rows]
        card = _card(user, 'homelab-dev')
        # The last by name uses the most CPU.
        stand_ins.stats.feed(
            [
                sample(row.info.id, row.info.name, row.info.stack, cpu=float(i), memory=MIB, at=time.time())
                for i, row in enumerate(rows)
            ]
        )
        (toggle,) = [el for el in user.find(ui.toggle).elements if el.props.get('data-testid') == 'sort-rows']
        updated = _recording(user)
        cast(ui.toggle, toggle).value = 'cpu'
        order = [cast(container_entry, el).info.name for el in card.rows]
        assert order[: len(rows)] == [row.info.name for row in reversed(rows)]
        assert card.rows.id in {el.id for el in updated}
        assert not {el.id for el in updated} & {row.id for row in rows}  # moved, not drawn again
        # A tick that changes who is first moves the rows again.
        stand_ins.stats.feed(
            [
                sample(row.info.id, row.info.name, row.info.stack, cpu=10.0 - i, memory=MIB, at=time.time() + 10)
                for i, row in enumerate(rows)
            ]
        )
        order = [cast(container_entry, el).info.name for el in card.rows]
        assert order[: len(rows)] == [row.info.name for row in rows]


async def test_the_container_page_charts_its_history_and_health(signed_in_console, stand_ins: StandIns) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await user.open(f'/containers/{WEB}')
        await user.should_see('History')
        charts = {str(el.props['data-chart']): cast(stat_chart, el) for el in user.find(stat_chart).elements}
        assert set(charts) == {'cpu', 'memory', 'network', 'block'}
        await wait_for_async(lambda: charts['cpu'].options['series'], timeout=10, what='the CPU chart drawn')
        assert stand_ins.stat_history.asked == [(WEB, '24h')]
        assert [s['name'] for s in charts['memory'].options['series']] == ['average', 'peak', 'limit']
        assert len(charts['cpu'].options['series'][0]['data']) == 1440  # a day of 1-minute points
        (toggle,) = [el for el in user.find(ui.toggle).elements if el.props.get('data-testid') == 'span']
        cast(ui.toggle, toggle).value = '7d'
        await wait_for_async(lambda: (WEB, '7d') in stand_ins.stat_history.asked, timeout=10, what='7 d asked')
        await wait_for_async(
            lambda: len(charts['cpu'].options['series'][0]['data']) == 672, timeout=10, what='a week of 15 min points'
        )
        (timeline,) = user.find(health_timeline).elements
        stretches, *legend, exits, _ = cast(health_timeline, timeline).options['series']
        assert [line['name'] for line in legend] == ['healthy', 'unhealthy', 'exited', 'running']
        assert [item['name'] for item in stretches['data']] == [
            'healthy',
            'unhealthy',
            'healthy',
            'exited',
            'running',
            'healthy',
        ]
        assert [(item['name'], item['label']['formatter']) for item in exits['data']] == [
            ('exited with code 3 · restarted', '3')
        ]
        cast(ui.toggle, toggle).value = '30d'
        await wait_for_async(
            lambda: len(cast(health_timeline, timeline).options['series'][-2]['data']) == 2, timeout=10, what='30 d'
        )
        assert _share(user, 'healthy:24h') == '99.5 %'
        assert _share(user, 'healthy:30d') == '—'
        assert _share(user, 'up:7d') == '99.0 %'
        restarts = [el for el in user.find(ui.label).elements if 'data-restarts-week' in el.props]
        assert [cast(ui.label, el).text for el in restarts] == ['3']
        ooms = [el for el in user.find(ui.label).elements if 'data-oom-kills-week' in el.props]
        assert [cast(ui.label, el).text for el in ooms] == ['1']
        oom_pins = cast(health_timeline, timeline).options['series'][-1]
        assert [(item['name'], item['label']['formatter']) for item in oom_pins['data']] == [
            ('killed by the kernel: out of memory', 'OOM')
        ]


async def test_the_host_page_lists_the_top_consumers_now_and_over_a_day(
    signed_in_console, dead_engine, stand_ins: StandIns
) -> None:
    stand_ins.stat_history.consumers = [
        Consumer('nextcloud-db-1', 'nextcloud', 30.0, 900 * MIB),
        Consumer('jellyfin', None, 80.0, 300 * MIB),
    ]
    stand_ins.stat_history.stacks = {'nextcloud': StackTotal(45.0, 1200 * MIB)}
    async with signed_in_console(docker_host=dead_engine) as user:
        await user.open('/host')
        await user.should_see('Top now')
        await user.should_see('No samples yet', retries=50)
        now = time.time()
        stand_ins.stats.feed(
            [
                sample('a', 'nextcloud-app-1', 'nextcloud', cpu=5.0, memory=700 * MIB, at=now),
                sample('b', 'nextcloud-db-1', 'nextcloud', cpu=20.0, memory=200 * MIB, at=now),
                sample('c', 'pihole', None, cpu=1.0, memory=60 * MIB, at=now),
            ]
        )
        assert _lines(user, 'now') == ['nextcloud-db-1', 'nextcloud-app-1', 'pihole']
        await wait_for_async(lambda: _lines(user, '24h') == ['jellyfin', 'nextcloud-db-1'], timeout=10, what='24 h')
        assert _lines(user, 'stacks') == ['nextcloud', '']
        await user.should_see('24 h: 45.0 % · 1.2 GiB')
        (toggle,) = [el for el in user.find(ui.toggle).elements if el.props.get('data-testid') == 'consumers-by']
        cast(ui.toggle, toggle).value = 'memory'
        assert _lines(user, 'now') == ['nextcloud-app-1', 'nextcloud-db-1', 'pihole']
        await wait_for_async(lambda: _lines(user, '24h') == ['nextcloud-db-1', 'jellyfin'], timeout=10, what='24 h')


def _tick(rows: list[container_entry], cpus: list[float], memory: int, at: float) -> list[ContainerSample]:
    return [
        sample(row.info.id, row.info.name, row.info.stack, cpu=cpu, memory=memory, at=at)
        for row, cpu in zip(rows, cpus, strict=True)
    ]


def _recording(user: User) -> list[Element]:
    """Every element the page sends from now on (in order, repeats included)."""
    updated: list[Element] = []
    outbox = user.client.outbox
    original = outbox.enqueue_update
    outbox.enqueue_update = lambda element: (updated.append(element), original(element))[1]  # type: ignore[method-assign]
    return updated


def _running_rows(user: User) -> list[container_entry]:
    rows = [cast(container_entry, el) for el in user.find(container_entry).elements]
    return [row for row in rows if row.info.state == ContainerState.RUNNING]


def _entry(user: User, name: str) -> container_entry | None:
    for element in user.find(container_entry).elements:
        if cast(container_entry, element).info.name == name:
            return cast(container_entry, element)
    return None


def _card(user: User, stack: str) -> stack_card:
    (card,) = [el for el in user.find(stack_card).elements if el.props.get('data-stack') == stack]
    return cast(stack_card, card)


def _share(user: User, key: str) -> str:
    (label,) = [el for el in user.find(ui.label).elements if el.props.get('data-share') == key]
    return cast(ui.label, label).text


def _lines(user: User, key: str) -> list[str]:
    """The names a list of the Host page shows, top first."""
    (shown,) = [cast(usage_list, el) for el in user.find(usage_list).elements if cast(usage_list, el).key == key]
    return [str(row.props['data-usage']).removeprefix(f'{key}:') for row in shown.lines if 'data-usage' in row.props]
