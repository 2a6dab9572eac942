"""A log filter runs on the server too (the download of what is shown): no pattern may stall the console."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import cast

import docker.errors
import pytest

from components.log_pane import log_pane
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique
from tests.helpers.logs_page import panes
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async

# Python's backtracking `re` needs about 2^25 steps to give up on this line for (a+)+$: seconds of a frozen loop.
EVIL_LINE = 'a' * 25 + 'b'


@contextlib.contextmanager
def container_logging(*lines: str) -> Iterator[str]:
    name = unique()
    client = docker_client()
    script = ''.join(f'echo {line}; ' for line in lines) + 'exec sleep 3600'
    client.containers.run(
        BASE_IMAGE, ['sh', '-c', script], name=name, detach=True, init=True, labels={'homelab.test': 'true'}
    )
    try:
        yield name
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
        client.close()


async def test_a_catastrophic_filter_does_not_stall_the_console(signed_in_console) -> None:
    require_engine()
    with container_logging(EVIL_LINE, 'aaaa', 'plain line') as name:
        async with signed_in_console() as user:
            await user.open(f'/logs?container={name}')
            pane = cast(log_pane, (await wait_for_async(lambda: panes(user), timeout=10, what='a pane'))[0])
            await wait_for_async(lambda: 'plain line' in pane.visible_text(), timeout=20, what='the three lines')
            user.find(marker='log-regex').click()
            user.find(marker='log-filter').type('(a+)+$')
            await user.should_not_see('Not a valid regular expression')

            gaps: list[float] = []

            async def tick() -> None:
                last = time.monotonic()
                while True:
                    await asyncio.sleep(0.01)
                    now = time.monotonic()
                    gaps.append(now - last)
                    last = now

            ticker = asyncio.create_task(tick())
            await asyncio.sleep(0.05)
            try:
                user.find(marker='log-download').click()
                response = await user.download.next(timeout=30)
            finally:
                ticker.cancel()
            assert response.text == 'aaaa\n'  # the search answered: the one line that matches
            assert max(gaps) < 0.1, f'the event loop stalled for {max(gaps):.2f} s'


@pytest.mark.parametrize(
    ('pattern', 'why'),
    [
        (r'(a)\1', 'invalid escape sequence'),  # back-references need backtracking: not offered
        ('(?=a)', 'invalid perl operator'),  # so does look-around
        ('x' * 1001, 'at most 1000 characters'),
        ('line (', 'missing )'),
    ],
)
def test_filters_that_need_backtracking_or_are_huge_are_refused_with_the_reason(pattern: str, why: str) -> None:
    from components.log_batches import FilterError, compile_filter

    with pytest.raises(FilterError, match=why.replace('(', r'\(').replace(')', r'\)')):
        compile_filter(pattern, regex=True)
    assert compile_filter('a.(', regex=False) is not None  # plain text is never a pattern
