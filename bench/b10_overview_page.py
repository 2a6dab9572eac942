"""B10 overview page with ~200 containers: navigation -> every container row rendered in headless Chromium,
and the websocket bytes one container event sends.

Throwaway containers (created, not started) bring the engine to ~200 containers. A throwaway console
(`homelab serve`, its own data dir) and a signed-in Chromium are started. Render time is the browser's
own clock: performance.now() (0 = navigation start) when the last row is in the DOM. For an event, one
throwaway container is started (`docker start`): the frames the page receives until its row shows
`running` (plus 1.5 s for follow-ups such as the inspect facts) are summed from the DevTools log, and the
container names in them are counted: one row means one name, a re-sent table would name them all.
No baseline (the spec gives absolute bounds).
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import NAME_PREFIX, Report, client, create_many, env_int, median, remove_containers
from bench.console import HOMELAB, chromium, console_env, create_user, free_port, server, sign_in

ID = 'B10'
TITLE = 'overview page with ~200 containers: navigation -> table rendered; bytes per container event'
TARGET = '< 1.5 s; an event sends one row, not the table'
_ROWS_JS = 'return document.querySelectorAll("[data-container]").length'
# Resolves with performance.now() once `want` rows exist (checked every 10 ms), or -1 after 60 s.
_RENDERED_JS = """
const want = arguments[0], done = arguments[arguments.length - 1];
const check = () => {
  if (document.querySelectorAll('[data-container]').length >= want) return done(performance.now());
  if (performance.now() > 60000) return done(-1);
  setTimeout(check, 10);
};
check();
"""


def run() -> Report:
    report = Report(id=ID, title=TITLE, baseline='none (absolute bounds)', target=TARGET)
    wanted = env_int('BENCH_B10_CONTAINERS', 200)
    loads = env_int('BENCH_B10_LOADS', 3)
    events = env_int('BENCH_B10_EVENTS', 3)
    api = client().api
    names: list[str] = []
    try:
        have = len(api.containers(all=True))
        names = create_many('overview', max(wanted - have, events), ['sleep', '3600'], start=False)
        total = len(api.containers(all=True))
        report.add('containers on the engine', total)
        with (
            tempfile.TemporaryDirectory(prefix='hl-bench-') as tmp,
            chromium(Path(tmp) / 'chromium', network_log=True) as driver,
        ):
            if driver is None:
                report.note('not measured: no selenium, chromium or chromedriver (make browser)')
                return report.finish(None, 'no baseline')
            base = Path(tmp)
            port = free_port()
            env = console_env(base / 'data', port)
            with server([HOMELAB, 'serve'], base, port, env):
                if not create_user(HOMELAB, env, base):
                    raise RuntimeError('`homelab user create` failed')
                url = f'http://127.0.0.1:{port}'
                sign_in(driver, url)
                driver.set_script_timeout(70)
                first = float(driver.execute_async_script(_RENDERED_JS, total))
                report.add('rows after sign-in (first visit)', int(driver.execute_script(_ROWS_JS)))
                report.add('first visit after sign-in: rows rendered at', round(first), 'ms')
                times = []
                for _ in range(loads):
                    driver.get('about:blank')
                    driver.get(f'{url}/')
                    times.append(float(driver.execute_async_script(_RENDERED_JS, total)))
                report.add(f'navigation -> {total} rows rendered, median of {loads}', round(median(times)), 'ms')
                report.add('navigation -> rows rendered, worst', round(max(times)), 'ms')
                _events(report, driver, names[-events:], total)
    finally:
        remove_containers(names)
    return report.finish(None, 'no baseline (absolute bounds)')


def _events(report: Report, driver: Any, targets: list[str], total: int) -> None:
    """Websocket bytes and container names the page receives for one `docker start` each."""
    sizes, frames, named = [], [], []
    for name in targets:
        time.sleep(1.0)
        driver.get_log('performance')  # drop what came before
        client().api.start(name)
        deadline = time.monotonic() + 15
        selector = f'[data-state="{name}:running"]'
        while time.monotonic() < deadline and not driver.execute_script(
            'return document.querySelector(arguments[0]) !== null', selector
        ):
            time.sleep(0.02)
        time.sleep(1.5)
        payloads = _frames(driver.get_log('performance'))
        sizes.append(sum(len(p.encode()) for p in payloads))
        frames.append(len(payloads))
        text = ''.join(payloads)
        # Only this run's idle throwaways count (a dev-stack container may change meanwhile on its own);
        # a name followed by a digit is another container (...-overview-1 vs ...-overview-12).
        ours = [other for other in _row_names(driver) if other.startswith(NAME_PREFIX)]
        named.append(sum(1 for other in ours if re.search(re.escape(other) + r'(?![0-9])', text)))
    report.add(f'container events (docker start), one at a time, on a {total}-row page', len(targets))
    report.add('websocket bytes received per event, median', int(median(sizes)), 'bytes')
    report.add('websocket bytes received per event, max', max(sizes, default=0), 'bytes')
    report.add('websocket frames per event, median', median(frames))
    report.add('throwaway rows named in one event frames, max (1 = one row)', max(named, default=0))


def _row_names(driver: Any) -> list[str]:
    script = 'return [...document.querySelectorAll("[data-container]")].map(e => e.dataset.container)'
    return [str(name) for name in driver.execute_script(script)]


def _frames(entries: list[dict[str, Any]]) -> list[str]:
    payloads = []
    for entry in entries:
        message = json.loads(entry['message'])['message']
        if message.get('method') == 'Network.webSocketFrameReceived':
            payloads.append(str(message['params']['response'].get('payloadData', '')))
    return payloads
