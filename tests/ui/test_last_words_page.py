"""Last words on the pages: a removed container's page renders from them (the real engine and the real app), and the
alert card shows them as lines of text."""

from __future__ import annotations

import contextlib
from typing import cast

import docker.errors
import pytest
from nicegui import ui

from components.open_alerts import open_alerts
from ops.alerts.keeper import Condition
from ops.alerts.rules import Rule
from ops.maintenance.last_words import LastWordsKeeper
from ops.maintenance.records import LastWords
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async

# 5,000 lines, each with markup in it (shown as text, never as markup).
FIVE_THOUSAND = (
    'i=1; while [ $i -le 5000 ]; do echo "line $i of the log <b>bold</b>"; i=$((i+1)); done; exec sleep 3600'
)


async def test_a_container_that_printed_5000_lines_and_was_removed_shows_its_last_1000_on_its_page(
    signed_in_console, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_engine()
    keepers: list[LastWordsKeeper] = []
    built = LastWordsKeeper.__init__

    def recording(self: LastWordsKeeper, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        built(self, *args, **kwargs)
        keepers.append(self)

    monkeypatch.setattr(LastWordsKeeper, '__init__', recording)
    client = docker_client()
    name = unique('hl-lastwords')
    container = client.containers.run(
        BASE_IMAGE, ['sh', '-c', FIVE_THOUSAND], name=name, detach=True, labels={'homelab.test': 'true'}
    )
    try:
        async with signed_in_console() as user:
            await wait_for_async(lambda: b'line 5000 ' in container.logs(tail=1), timeout=30, what='5000 lines')
            await wait_for_async(lambda: keepers[-1].following_of(container.id), timeout=30, what='its log followed')
            container.remove(force=True)
            await wait_for_async(lambda: _kept(name), timeout=30, what='its last words kept')
            for reference in (name, container.id[:12]):
                await user.open(f'/containers/{reference}')
                await user.should_see('removed')
                await user.should_see(name)
                await user.should_see('exit code 137')
                await user.should_see('1,000 lines kept')
                await user.should_see('line 4001 of the log <b>bold</b>')
                await user.should_see('line 5000 of the log')
                await user.should_not_see('line 4000 of the log')
                await user.should_not_see('No such container')
            user.find(marker='last-words-download').click()
            download = await wait_for_async(lambda: user.download.http_responses, timeout=10, what='the download')
            text = download[-1].content.decode()
            assert text.startswith('line 4001 of the log') and text.endswith('line 5000 of the log <b>bold</b>')
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
        client.close()


async def _kept(name: str) -> bool:
    return await LastWords.exists(name=name)


async def test_the_alert_card_shows_the_last_words_as_lines_of_text_and_links_the_container(
    signed_in_console, dead_engine
) -> None:
    tail = 'starting\n<img src=x onerror=alert(1)> config broken\nfatal: giving up'
    async with signed_in_console(docker_host=dead_engine) as user:
        await user.open('/alerts')
        await user.should_see('Open', retries=50)
        (board,) = user.find(open_alerts).elements
        keeper = cast(open_alerts, board).keeper
        await keeper.hold(
            Condition(
                rule=Rule.CRASH_LOOP,
                target='web-1',
                summary='web-1 died 3 times in 10 min (last exit code 1)',
                evidence={'last_exit_code': 1, 'last_words': tail},
            )
        )
        await user.should_see(tail, retries=50)  # one text, its lines kept
        (block,) = [e for e in user.find(ui.label).elements if e.props.get('data-evidence') == 'last_words']
        assert cast(ui.label, block).text == tail
        (link,) = [e for e in user.find(ui.link).elements if e.props.get('data-field') == 'container-link']
        assert cast(ui.link, link).props['href'] == '/containers/web-1'
        assert not [e for e in user.client.elements.values() if isinstance(e, ui.html | ui.markdown)]
