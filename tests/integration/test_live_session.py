"""An open page whose session ended can no longer act: the real console, a scripted socket client, the real CLI."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import socketio

from tests.helpers.console import HOMELAB, REPO, Console, create_user, running_console
from tests.helpers.page_socket import ScriptedPage, sign_in
from tests.helpers.waiting import wait_for

PASSWORD = 'correct horse battery staple'
REFUSED = 'session_ended_refused'


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    # No engine is needed: backup_run only writes a request file for the host.
    with running_console(tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/no-engine.sock') as running:
        assert create_user(running.env, 'admin', PASSWORD).returncode == 0
        yield running


def homelab(console: Console, *args: str, stdin: str = '') -> str:
    done = subprocess.run(
        [*HOMELAB, *args], input=stdin, env=console.env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def runs(console: Console) -> list[dict[str, object]]:
    return list(json.loads(homelab(console, 'runs', 'list', '--json'))['runs'])


def audit(console: Console) -> list[dict[str, object]]:
    return list(json.loads(homelab(console, 'audit', 'list', '--json', '--limit', '200'))['events'])


def refusals(console: Console) -> list[dict[str, object]]:
    return [event for event in audit(console) if event['kind'] == REFUSED]


def open_operations(http: httpx.Client) -> ScriptedPage:
    page = ScriptedPage(http, '/operations')
    assert page.path == '/operations'
    return page


def run_backup(page: ScriptedPage) -> None:
    """Run… then the confirmation's button, without ever reloading the page."""
    page.click(page.wait_for('run-backup_run'))
    page.click(page.wait_for('confirm-run'))


def test_a_page_of_a_disabled_user_cannot_run_anything(console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=15) as http:
        sign_in(http, 'admin', PASSWORD)
        with open_operations(http) as page:
            # The confirmation is already open when the account is disabled on the host.
            page.click(page.wait_for('run-backup_run'))
            confirm = page.wait_for('confirm-run')
            homelab(console, 'user', 'disable', 'admin')
            page.click(confirm)
            wait_for(lambda: refusals(console) or runs(console), timeout=20, what='a refusal or a run')
            assert runs(console) == []
            assert '/login' in page.opened
            # The script ignores "go to /login" and keeps clicking: nothing runs, and nothing more is recorded.
            for _ in range(5):
                page.click(confirm)
                page.click(page.find('run-backup_run') or confirm)
        assert runs(console) == []
        [refused] = refusals(console)
        assert refused['actor'] == 'ui:admin'
        detail = refused['detail']
        assert isinstance(detail, dict)
        assert detail['reason'] == 'user disabled' and detail['page'] == '/operations'
        assert all(event['kind'] != 'run_requested' for event in audit(console))


def test_a_page_cannot_act_after_its_session_signed_out_in_another_tab(console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=15) as http:
        sign_in(http, 'admin', PASSWORD)
        with open_operations(http) as page:
            page.click(page.wait_for('run-backup_run'))
            confirm = page.wait_for('confirm-run')
            # Another tab of the same browser signs out (same cookie, a same-origin POST).
            out = http.post('/logout', headers={'Origin': console.url}, follow_redirects=False)
            assert out.status_code == 303
            page.click(confirm)
            wait_for(lambda: '/login' in page.opened or runs(console), timeout=20, what='/login or a run')
        assert runs(console) == []


def test_a_page_cannot_act_after_a_password_change(console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=15) as http:
        sign_in(http, 'admin', PASSWORD)
        with open_operations(http) as page:
            page.click(page.wait_for('run-backup_run'))
            confirm = page.wait_for('confirm-run')
            homelab(console, 'user', 'set-password', 'admin', '--password-stdin', stdin='another fine passphrase\n')
            page.click(confirm)
            wait_for(lambda: refusals(console) or runs(console), timeout=20, what='a refusal or a run')
        assert runs(console) == []
        detail = refusals(console)[0]['detail']
        assert isinstance(detail, dict) and detail['reason'] == 'password changed'


def test_a_live_session_still_runs_the_backup_and_events_keep_their_order(console: Console) -> None:
    """The check must not get in the way: the same clicks with a valid session start the run, and a value sent
    right before a click is what the click's handler reads (events of a page wait for their check in order)."""
    with httpx.Client(base_url=console.url, timeout=15) as http:
        sign_in(http, 'admin', PASSWORD)
        with open_operations(http) as page:
            run_backup(page)
            wait_for(lambda: runs(console), timeout=20, what='the backup run')
            since = page.by_prop('data-field', 'docker_logs.since')
            for value in ('1', '10', '10m'):  # typed, then Run at once: no wait in between
                page.type(since, value)
            page.click(page.wait_for('run-docker_logs'))
            logs = wait_for(
                lambda: [r for r in runs(console) if r['operation'] == 'docker_logs'], timeout=20, what='the logs run'
            )
    backup = next(r for r in runs(console) if r['operation'] == 'backup_run')
    assert backup['actor'] == 'ui:admin'
    assert logs[0]['params'] == {'since': "'10m'", 'tail': '200', 'follow': 'False'}
    assert refusals(console) == []


def _foreign_socket(console: Console, query: dict[str, str] | None = None) -> socketio.Client:
    """Another process's socket: no session cookie, maybe a page id it read somewhere (a proxy's access log)."""
    sio = socketio.Client(reconnection=False)
    url = console.url + (f'?{urlencode(query)}' if query else '')
    sio.connect(url, transports=['websocket'], socketio_path='/_nicegui_ws/socket.io', wait_timeout=10)
    return sio


def test_a_page_id_alone_does_not_let_another_socket_act_for_the_page(console: Console) -> None:
    """A live page's client id (it is in the websocket URL, so proxies log it) is no key: events sent for it from a
    socket that did not join the page are dropped, and a socket without the page's session cookie cannot join."""
    with httpx.Client(base_url=console.url, timeout=15) as http:
        sign_in(http, 'admin', PASSWORD)
        with open_operations(http) as page:
            page.click(page.wait_for('run-backup_run'))
            confirm = page.wait_for('confirm-run')  # the tab's own confirmation is open
            click = {
                'id': int(confirm),
                'client_id': page.client_id,
                'listener_id': next(e['listener_id'] for e in page._listeners[confirm] if e['type'] == 'click'),
                'args': [],
            }
            intruder = _foreign_socket(console)  # connected, never joined the page
            # call() waits for the server's acknowledgement: each message was received and handled (or dropped).
            intruder.call('event', click, timeout=10)
            intruder.call('log', {'client_id': page.client_id, 'level': 'error', 'message': 'run=9 forged'}, timeout=10)
            intruder.disconnect()
            # The tab then runs something harmless: once that run exists, the intruder's click was long handled.
            page.click(page.wait_for('run-docker_logs'))
            wait_for(lambda: [r for r in runs(console) if r['operation'] == 'docker_logs'], timeout=20, what='a run')
            with pytest.raises(socketio.exceptions.ConnectionError):
                joined = {
                    'client_id': page.client_id,
                    'implicit_handshake': 'true',
                    'tab_id': page.tab_id,
                    'document_id': str(uuid.uuid4()),
                    'next_message_id': '0',
                }
                _foreign_socket(console, joined).disconnect()
    assert [r['operation'] for r in runs(console)] == ['docker_logs']
    assert 'run=9 forged' not in console.log()
