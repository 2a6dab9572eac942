"""Issue 6's acceptance, as a new user would try it, with the real `homelab serve` and the CLI: the console
watches a git repository holding compose.dev.yml as homelab-dev; a service stopped by hand becomes a
pending action; `homelab actions approve` runs it; /summary shows the drift before and none after; the event
journal holds the stop, the approval and the run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers.console import HOMELAB, REPO, running_console
from tests.helpers.dev_repo import WEB, create_token, dev_drift, dev_repo, journal_tells, summary
from tests.helpers.docker_ops import docker_client
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for


def test_a_stopped_service_becomes_an_action_that_the_cli_approves(tmp_path: Path) -> None:
    require_dev_stack()
    repo, config = dev_repo(tmp_path)
    data = tmp_path / 'data'
    client = docker_client()
    with running_console(data, HOMELAB_REPO_DIR=str(repo), HOMELAB_CONFIG=str(config)) as console:
        try:
            token = create_token(console.env)
            # /summary lists every drift, settled or not: the dev stack's `flaky` is briefly exited every ~20 s (its
            # restart policy brings it back), so the stack is in step at some moment, not at every one.
            first = wait_for(
                lambda: (
                    (s := summary(console.url, token))['stacks'].get('homelab-dev', {}).get('managed')
                    and not dev_drift(s)
                    and s
                ),
                timeout=60,
                what='homelab-dev in /summary with no drift',
            )
            assert dev_drift(first) == [], first['drift']

            client.api.stop(WEB, timeout=2)
            before = wait_for(
                lambda: (s := summary(console.url, token))['pending_actions'] >= 1 and s,
                timeout=60,
                what='a pending action in /summary',
            )
            assert {'kind': 'stopped', 'service': 'web'}.items() <= dev_drift(before)[0].items()
            listed = subprocess.run(
                [*HOMELAB, 'actions', 'list', '--json'],
                env=console.env,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert listed.returncode == 0, listed.stderr
            pending = [a for a in json.loads(listed.stdout) if a['state'] == 'pending' and a['service'] == 'web']
            assert len(pending) == 1 and pending[0]['title'] == 'Start web'

            approved = subprocess.run(
                [*HOMELAB, 'actions', 'approve', str(pending[0]['id']), '--json'],
                env=console.env,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert approved.returncode == 0, approved.stdout + approved.stderr
            action = json.loads(approved.stdout)
            assert action['state'] == 'done' and action['run_id']
            assert client.api.inspect_container(WEB)['State']['Running']

            after = wait_for(
                lambda: (s := summary(console.url, token))['pending_actions'] == 0 and not dev_drift(s) and s,
                timeout=60,
                what='no drift and no pending action in /summary',
            )
            assert after['stacks']['homelab-dev']['drift'] == []

            wait_for(
                lambda: journal_tells(data, container=WEB, action_id=action['id']),
                timeout=30,
                what='the stop, the approval and the run in events.jsonl',
            )
        finally:
            if not client.api.inspect_container(WEB)['State']['Running']:
                client.api.start(WEB)
