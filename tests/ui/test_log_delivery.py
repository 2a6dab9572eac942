"""How fast and how compactly a log pane hands its lines to the browser (NiceGUI's simulated user, real engine)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import docker.errors
import pytest
from nicegui.outbox import Outbox

from components.log_view import log_view
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique
from tests.helpers.logs_page import panes
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async

GROUPS, GROUP = 8, 25
LINES = GROUPS * GROUP
TEXT = 'INFO worker[7] handled request status=200 bytes=5120 path=/api/v1/items/0123456789abcdef'


@contextlib.contextmanager
def slow_logger() -> Iterator[Any]:
    """A container that, once /tmp/go exists, prints GROUPS groups of GROUP numbered lines, 0.23 s apart (off any
    0.1 s grid)."""
    client = docker_client()
    script = (
        'while [ ! -e /tmp/go ]; do usleep 20000; done; i=0; '
        f'while [ $i -lt {LINES} ]; do '
        f'j=0; while [ $j -lt {GROUP} ]; do i=$((i+1)); j=$((j+1)); echo "line $i {TEXT}"; done; usleep 230000; '
        'done; exec sleep 3600'
    )
    container = client.containers.run(
        BASE_IMAGE, ['sh', '-c', script], name=unique(), detach=True, init=True, labels={'homelab.test': 'true'}
    )
    try:
        yield container
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
        client.close()


async def follow_until_all_sent(signed_in_console: Any, container: Any) -> None:
    async with signed_in_console() as user:
        await user.open(f'/containers/{container.name}')
        pane = (await wait_for_async(lambda: panes(user), timeout=10, what='a log pane'))[0]
        await wait_for_async(lambda: pane.status.startswith('live'), timeout=20, what='the pane to go live')
        container.exec_run(['touch', '/tmp/go'])
        await wait_for_async(lambda: pane.sent_lines >= LINES, timeout=20, what='every line sent')


async def test_each_line_reaches_the_browser_within_100_ms_of_its_engine_timestamp(
    signed_in_console: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_engine()
    sent: list[tuple[float, list[dict[str, Any]]]] = []
    original = log_view.append

    def recording(self: log_view, batch: list[dict[str, Any]]) -> None:
        sent.append((time.time(), [dict(item) for item in batch]))
        original(self, batch)

    monkeypatch.setattr(log_view, 'append', recording)
    with slow_logger() as container:
        await follow_until_all_sent(signed_in_console, container)
    today = datetime.now(UTC).strftime('%Y-%m-%d')
    delays = [
        at - datetime.strptime(f'{today} {item["t"]}', '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=UTC).timestamp()
        for at, batch in sent
        for item in batch
        if 'line ' in str(item.get('g'))
    ]
    assert len(delays) == LINES
    assert max(delays) < 0.1, f'engine timestamp -> sent to the browser: up to {max(delays):.3f} s'


async def test_plain_lines_cost_at_most_1_3_times_their_bytes_on_the_websocket(
    signed_in_console: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_engine()
    messages: list[str] = []
    original = Outbox.enqueue_message

    def recording(self: Outbox, message_type: str, data: dict[str, Any], target_id: str) -> None:
        wire = json.dumps([message_type, data], separators=(',', ':'))
        if TEXT in wire:
            messages.append(wire)
        original(self, message_type, data, target_id)

    monkeypatch.setattr(Outbox, 'enqueue_message', recording)
    with slow_logger() as container:
        await follow_until_all_sent(signed_in_console, container)
    raw = sum(len(f'line {n} {TEXT}\n') for n in range(1, LINES + 1))
    assert sum(message.count(TEXT) for message in messages) == LINES
    wire = sum(len(message.encode()) for message in messages)
    # Each batch has a fixed envelope (the method call); per line only the text and a few bytes may travel.
    envelope = 120 * len(messages)
    assert wire - envelope <= 1.3 * raw, f'{wire} bytes on the wire for {raw} raw bytes in {len(messages)} messages'
