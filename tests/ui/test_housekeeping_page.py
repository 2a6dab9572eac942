"""The Maintenance page's prune through NiceGUI's simulated user: "Prune these" asks for exactly the previewed items
(docker_prune's `only`), so nothing that qualifies only since the preview is removed. The runs are the test's."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from nicegui import ui

from components.prune_preview import prune_preview
from ops.runs import RunState

SHOWN = [
    {'kind': 'stopped_container', 'id': 'c' * 64, 'name': 'old-job', 'size': 4096, 'detail': 'exited'},
    {'kind': 'dangling_image', 'id': 'sha256:' + 'd' * 64, 'name': 'untagged dddddddddddd', 'size': 1 << 20,
     'detail': 'created 9 d ago'},
]  # fmt: skip


async def test_prune_these_removes_exactly_the_previewed_items(
    signed_in_console, dead_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[dict[str, Any]] = []

    async def run(self: prune_preview, values: dict[str, Any], *, follow: bool = False) -> SimpleNamespace:
        asked.append(values)
        if values['dry_run']:
            result = {'dry_run': True, 'plan': {'items': SHOWN, 'total_bytes': 4096 + (1 << 20), 'notes': []}}
        else:  # the engine changed since: a container stopped after the preview is planned now, and left
            plan = {'items': [*SHOWN, {**SHOWN[0], 'id': 'b' * 64, 'name': 'debug-me'}], 'total_bytes': 0, 'notes': []}
            result = {'dry_run': False, 'plan': plan, 'removed': SHOWN, 'freed_bytes': 4096 + (1 << 20),
                      'skipped': [{**plan['items'][2], 'reason': 'not in the approved plan'}]}  # fmt: skip
        return SimpleNamespace(state=RunState.SUCCEEDED, result=result, error=None)

    monkeypatch.setattr(prune_preview, '_run', run)
    async with signed_in_console(docker_host=dead_engine) as user:
        await user.open('/maintenance')
        await user.should_see('Housekeeping')
        user.find(kind=ui.button, content='Preview').click()
        await user.should_see('2 item(s) would be removed', retries=50)
        user.find(kind=ui.button, content='Prune these…').click()
        await user.should_see('anything that qualifies only since the preview is left')
        user.find(kind=ui.button, content='Prune 2 item(s)').click()
        await user.should_see('Removed 2 item(s)', retries=50)
        await user.should_see('Skipped debug-me: not in the approved plan')
        assert [values['dry_run'] for values in asked] == [True, False]
        assert 'only' not in asked[0]
        assert asked[1]['only'] == [item['id'] for item in SHOWN]
