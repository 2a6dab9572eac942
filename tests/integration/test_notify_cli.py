"""`homelab notify test`: a test message to every channel or one, exit 0 only if all were sent, audited with
names and outcomes, and a channel's secret in no output and no audit event."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers.console import HOMELAB, REPO, console_env
from tests.helpers.loopback_servers import closed_port
from tests.helpers.notify_peers import HttpReceiver, SmtpReceiver

SECRET = 'tk_n0tify_S3cret'


def homelab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOMELAB, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def setup(tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver) -> dict[str, str]:
    url_file = tmp_path / 'phone.url'
    url_file.write_text(f'ntfy://{SECRET}@127.0.0.1:{http.port}/homelab\n')
    config = tmp_path / 'homelab.toml'
    config.write_text(
        f"""
[notify.channels.phone]
url_file = "{url_file}"

[notify.channels.mail]
url_env = "HOMELAB_TEST_MAIL_URL"

[notify.channels.down]
url = "json://127.0.0.1:{closed_port()}/hook/{SECRET}"
"""
    )
    mail = f'mailto://127.0.0.1:{smtp.port}?from=console@home.lan&to=me@home.lan&secure=no&pass={SECRET}'
    return console_env(tmp_path / 'data', HOMELAB_CONFIG=str(config), HOMELAB_TEST_MAIL_URL=mail)


def test_notify_test_sends_to_each_channel_and_fails_when_one_is_down(
    tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver
) -> None:
    env = setup(tmp_path, http, smtp)

    every = homelab(env, 'notify', 'test')
    assert every.returncode == 1, every.stderr
    lines = every.stdout.splitlines()
    assert 'mail: sent' in lines and 'phone: sent' in lines
    assert any(line.startswith('down: failed: ') and 'Connection error' in line for line in lines)
    assert http.wait_for_posts(1)[0].json()['title'] == 'Homelab console: test message'
    assert smtp.wait_for_mails(1)[0]['Subject'] == 'Homelab console: test message'

    one = homelab(env, 'notify', 'test', 'phone')
    assert one.returncode == 0, one.stderr
    assert one.stdout.splitlines() == ['phone: sent']

    unknown = homelab(env, 'notify', 'test', 'nope')
    assert unknown.returncode == 2
    assert "no channel named 'nope'" in unknown.stderr

    audit = homelab(env, 'audit', 'list', '--json')
    events = [e for e in json.loads(audit.stdout)['events'] if e['kind'] == 'notify_test']
    details = sorted(json.dumps(e['detail'], sort_keys=True) for e in events)
    assert details == [
        json.dumps({'channels': {'down': 'failed', 'mail': 'sent', 'phone': 'sent'}}, sort_keys=True),
        json.dumps({'channels': {'phone': 'sent'}}, sort_keys=True),
    ]
    for result in (every, one, unknown, audit):
        assert SECRET not in result.stdout + result.stderr


def test_notify_test_without_channels_is_refused(tmp_path: Path) -> None:
    result = homelab(console_env(tmp_path / 'data'), 'notify', 'test')
    assert result.returncode == 2
    assert 'no notification channels' in result.stderr
