"""B9 footprint: PSS of `homelab serve` idle, with 1 client, after connect/disconnect cycles, vs a bare
NiceGUI page process, all started here.

Each server runs in its own temp directory and port; once it answers HTTP it is left idle for a few
seconds, then the PSS of the process and all its children is summed (psutil memory_full_info().pss),
sampled three times, median taken. The client is a headless Chromium (Selenium, Debian's chromedriver)
signed in to the console; a cycle is: leave for about:blank, open the overview again. Chromium's own
memory is not counted (it is not a child of the server).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from bench.common import Report, env_int, median
from bench.console import HOMELAB, chromium, console_env, create_user, free_port, server, sign_in

ID = 'B9'
TITLE = 'footprint: PSS of an idle homelab serve vs a bare NiceGUI page process'
BARE_PAGE = """\
from nicegui import ui


@ui.page('/')
def index() -> None:
    ui.label('hello').props('data-testid=hello')


ui.run(host='127.0.0.1', port={port}, reload=False, show=False, show_welcome_message=False)
"""


def run() -> Report:
    report = Report(
        id=ID,
        title=TITLE,
        baseline='bare NiceGUI page process (one ui.label page) in the same run',
        target=(
            "idle <= 1.3x bare NiceGUI; < 5 MB per extra client; after the cycles within 5 MB of bare NiceGUI's own "
            'change'
        ),
    )
    settle = env_int('BENCH_B9_SETTLE_SECONDS', 5)
    with tempfile.TemporaryDirectory(prefix='hl-bench-') as tmp, chromium(Path(tmp) / 'chromium') as driver:
        base = Path(tmp)
        if driver is None:
            report.note('not measured: PSS with clients (no selenium, chromium or chromedriver: make browser)')
        port = free_port()
        (base / 'bare').mkdir()
        (base / 'bare' / 'page.py').write_text(BARE_PAGE.format(port=port), encoding='utf-8')
        with server([sys.executable, 'page.py'], base / 'bare', port, {}) as proc:
            bare = _settled(proc.pid, settle)
            report.add('bare NiceGUI (idle, no client): PSS, all processes', bare[0], 'MB')
            report.add('bare NiceGUI: processes', bare[1])
            report.add('bare NiceGUI: RSS, all processes', bare[2], 'MB')
            bare_clients = None
            if driver is not None:
                url = f'http://127.0.0.1:{port}'
                bare_clients = _client_phase(report, 'bare NiceGUI', proc.pid, url, driver, bare[0], None)

        port = free_port()
        (base / 'serve').mkdir()
        env = console_env(base / 'serve' / 'data', port)
        with server([HOMELAB, 'serve'], base / 'serve', port, env) as proc:
            served = _settled(proc.pid, settle)
            report.add('homelab serve (idle, no client): PSS, all processes', served[0], 'MB')
            report.add('homelab serve: processes', served[1])
            report.add('homelab serve: RSS, all processes', served[2], 'MB')
            served_clients = None
            if driver is not None:
                if create_user(HOMELAB, env, base):
                    url = f'http://127.0.0.1:{port}'
                    served_clients = _client_phase(report, 'homelab serve', proc.pid, url, driver, served[0], sign_in)
                else:
                    report.note('not measured: homelab serve with clients (`homelab user create` failed)')
    ratio = round(served[0] / bare[0], 3) if bare[0] > 0 else None
    figure = f'idle {ratio}x' if ratio is not None else 'idle n/a'
    met = ratio is not None and ratio <= 1.3
    if served_clients is not None and bare_clients is not None:
        (client, cycles), (_, bare_cycles) = served_clients, bare_clients
        figure += f', +{client} MB/client, cycles {cycles:+} vs bare {bare_cycles:+} MB'
        met = met and client < 5 and cycles - bare_cycles <= 5
    else:
        met = False  # the client parts were not measured
    return report.finish(ratio, 'idle PSS, homelab serve / bare NiceGUI', figure=figure, met=met)


def _settled(pid: int, settle: float) -> tuple[float, int, float]:
    """(PSS MB, process count, RSS MB) after `settle` idle seconds: the median of three samples 1 s apart."""
    time.sleep(settle)
    samples = []
    for _ in range(3):
        samples.append(_memory(pid))
        time.sleep(1)
    return round(median([s[0] for s in samples]), 1), samples[-1][1], round(median([s[2] for s in samples]), 1)


def _client_phase(
    report: Report,
    label: str,
    pid: int,
    url: str,
    driver: Any,
    idle: float,
    sign_in: Callable[[Any, str], None] | None,
) -> tuple[float, float]:
    """PSS with one Chromium client on the page, then after N leave/return cycles with the client gone: (growth for
    the first client, change after the cycles vs idle), MB."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    cycles = env_int('BENCH_B9_CYCLES', 100)
    budget = float(env_int('BENCH_B9_CYCLE_SECONDS', 120))
    wait = WebDriverWait(driver, 30)
    ready = (By.CSS_SELECTOR, '[data-nav=Logs]' if sign_in else '[data-testid=hello]')
    if sign_in is not None:
        sign_in(driver, url)
    else:
        driver.get(f'{url}/')
    wait.until(ec.presence_of_element_located(ready))
    one = _settled(pid, 3)[0]
    report.add(f'{label} with 1 client: PSS', one, 'MB')
    report.add(f'{label}: growth for the first client', round(one - idle, 1), 'MB')
    started, done, stalled = time.monotonic(), 0, 0
    # A load Chromium never finishes (seen here now and then: chromedriver then answers nothing for minutes) is
    # given up after 30 s and counted; the cycle is tried again, so every cycle counted is a whole one.
    driver.set_page_load_timeout(30)
    while done < cycles and time.monotonic() - started < budget:
        try:
            driver.get('about:blank')
            driver.get(f'{url}/')
            wait.until(ec.presence_of_element_located(ready))
        except TimeoutException:
            stalled += 1
            if stalled > 3:
                raise
            continue
        done += 1
    report.add(f'{label}: connect/disconnect cycles done', done)
    report.add(f'{label}: page loads given up after 30 s (tried again)', stalled)
    report.add(f'{label}: seconds per cycle', round((time.monotonic() - started) / max(done, 1), 3), 's')
    driver.get('about:blank')
    # NiceGUI drops a disconnected client after its reconnect timeout (3 s): give it that and more.
    after = _settled(pid, env_int('BENCH_B9_AFTER_SECONDS', 12))[0]
    report.add(f'{label} after the cycles, no client: PSS', after, 'MB')
    report.add(f'{label}: change vs idle before any client', round(after - idle, 1), 'MB')
    return round(one - idle, 1), round(after - idle, 1)


def _memory(pid: int) -> tuple[float, int, float]:
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    pss = rss = 0.0
    for proc in procs:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        pss += info.pss
        rss += info.rss
    return pss / 2**20, len(procs), rss / 2**20
