"""The read operations and docker_restart against the real engine and the homelab-dev stack; refused checks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ops.adapters import Adapters
from ops.errors import Refused
from ops.run_context import RunContext
from tests.helpers.docker_ops import (
    close_adapters,
    make_adapters,
    run_op,
    throwaway_web_container,
    wait_healthy,
)
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async

LOGGER = 'homelab-dev-logger-1'


@pytest.fixture
async def prod(tmp_path: Path) -> AsyncIterator[Adapters]:
    """Adapters as in production: any container may be changed."""
    require_engine()
    adapters = make_adapters(tmp_path, env='prod')
    yield adapters
    await close_adapters(adapters)


async def test_status_lists_the_dev_stack_with_state_health_and_service(dev: Adapters) -> None:
    ctx = RunContext(run_id=1, adapters=dev)
    result = await run_op(dev, 'docker_status', ctx)
    by_name = {c['name']: c for c in result['containers']}
    web = by_name['homelab-dev-web-1']
    assert (web['stack'], web['service'], web['state'], web['image']) == (
        'homelab-dev',
        'web',
        'running',
        'busybox:1.36',
    )
    assert by_name['homelab-dev-sick-1']['health'] in {'unhealthy', 'starting'}
    assert any(line.startswith('homelab-dev-web-1 ') for line in ctx.lines)


async def test_inspect_shows_the_image_digest_ports_and_networks(dev: Adapters) -> None:
    app = await run_op(dev, 'docker_inspect', container='homelab-dev-registry-app-1')
    assert app['image'] == 'localhost:5000/homelab-dev/app:stable'
    assert any(d.startswith('localhost:5000/homelab-dev/app@sha256:') for d in app['repo_digests'])
    web = await run_op(dev, 'docker_inspect', container='homelab-dev-web-1')
    assert [p['container_port'] for p in web['ports'] if p['host_port']] == ['8080/tcp']
    assert [n['name'] for n in web['networks']] == ['homelab-dev_default']
    assert web['started_at'] and web['health']['status'] == 'healthy'


async def test_health_reports_sick_as_unhealthy_with_its_probe_output(dev: Adapters) -> None:
    reports: list[dict[str, Any]] = []

    async def unhealthy() -> bool:
        reports.append(await run_op(dev, 'docker_health', container='homelab-dev-sick-1'))
        return bool(reports[-1]['status'] == 'unhealthy')

    await wait_for_async(unhealthy, timeout=30, what='sick unhealthy')  # type: ignore[arg-type]  # T from a coroutine
    result = reports[-1]
    assert result['log'] and all(probe['exit_code'] == 1 for probe in result['log'])
    assert 'dependency unreachable' in result['log'][-1]['output']
    assert isinstance(result['restart_count'], int)


async def test_logs_return_exactly_the_tail(dev: Adapters) -> None:
    ctx = RunContext(run_id=1, adapters=dev)
    result = await run_op(dev, 'docker_logs', ctx, container=LOGGER, tail=5)
    assert result['lines'] == 5 and len(ctx.lines) == 5
    assert all('\x1b[' in line for line in ctx.lines)  # the logger's colours come through untouched


async def test_followed_logs_deliver_new_lines_in_order_until_cancelled(dev: Adapters) -> None:
    spec_ctx = RunContext(run_id=1, adapters=dev)
    follow = asyncio.create_task(run_op(dev, 'docker_logs', spec_ctx, container=LOGGER, tail=1, follow=True))
    await wait_for_async(lambda: len(spec_ctx.lines) >= 6, timeout=30, what='six log lines')
    assert dev.loghub is not None and dev.loghub.active_streams == 1
    spec_ctx.cancelled.set()
    result = await asyncio.wait_for(follow, timeout=10)
    assert result['ended'] == 'cancelled' and result['followed']
    numbers = [int(m.group(1)) for line in spec_ctx.lines if (m := re.search(r' line (\d+)', line))]
    assert numbers == sorted(numbers) and numbers[-1] > numbers[0]
    stdout_numbers = [int(m.group(1)) for line in spec_ctx.lines if (m := re.search(r'OK.* line (\d+)', line))]
    assert len(stdout_numbers) == len(set(stdout_numbers)), 'a line came twice (tail and live overlap)'
    await wait_for_async(lambda: dev.loghub is not None and dev.loghub.active_streams == 0, timeout=10)


async def test_a_follow_whose_task_is_cancelled_closes_its_stream(dev: Adapters) -> None:
    ctx = RunContext(run_id=1, adapters=dev)
    follow = asyncio.create_task(run_op(dev, 'docker_logs', ctx, container=LOGGER, tail=1, follow=True))
    await wait_for_async(lambda: len(ctx.lines) >= 2, timeout=30, what='two log lines')
    follow.cancel()  # what the manager does on cancel and at its timeout
    with pytest.raises(asyncio.CancelledError):
        await follow
    assert dev.loghub is not None and dev.loghub.active_streams == 0


async def test_restart_gives_the_container_a_new_start_time(prod: Adapters) -> None:
    with throwaway_web_container() as name:
        await asyncio.to_thread(wait_healthy, name)
        ctx = RunContext(run_id=1, adapters=prod)
        result = await run_op(prod, 'docker_restart', ctx, container=name)
        assert result['state'] == 'running'
        assert result['started_at'] and result['started_at'] != result['started_at_before']
        assert result['started_at'] > result['started_at_before']
        await asyncio.to_thread(wait_healthy, name)


async def test_an_unknown_container_is_refused(dev: Adapters) -> None:
    with pytest.raises(Refused, match='no container named'):
        await run_op(dev, 'docker_inspect', container='hl-test-no-such-container')
    with pytest.raises(Refused, match='no container named'):
        await run_op(dev, 'docker_restart', container='hl-test-no-such-container')


async def test_dev_mode_refuses_changes_outside_homelab_dev_but_allows_reads(dev: Adapters) -> None:
    with throwaway_web_container() as name:
        with pytest.raises(Refused, match='HOMELAB_ENV=dev'):
            await run_op(dev, 'docker_restart', container=name)
        with pytest.raises(Refused, match='HOMELAB_ENV=dev'):
            await run_op(dev, 'docker_pull', container=name)
        assert (await run_op(dev, 'docker_inspect', container=name))['name'] == name


async def test_stacks_must_be_configured_and_arguments_well_formed(dev: Adapters) -> None:
    with pytest.raises(Refused, match='not configured'):
        await run_op(dev, 'docker_up_all', stack='hl-test-unknown')
    with pytest.raises(Refused, match='no service'):
        await run_op(dev, 'docker_pull', stack='homelab-dev', service='hl-test-nothing')
    with pytest.raises(ValidationError):
        await run_op(dev, 'docker_logs', container=LOGGER, tail=0)
    with pytest.raises(ValidationError):
        await run_op(dev, 'docker_logs', container=LOGGER, since='yesterday')
