"""B4 browser under a flood: 2k lines/s for 2 min, then a 40k-line burst.

A throwaway console and a signed-in headless Chromium show a paced flooding container (bench/log_probe.py) on
/logs?container=NAME. Measured in the page: JS heap (DevTools Runtime.getHeapUsage, after a forced GC before the
flood and after it; also the peak sampled every 2 s without GC), log lines in the DOM (sampled), long tasks
(PerformanceObserver 'longtask'; the longest animation frame split into script and rendering time), and the
websocket payload bytes the page received (DevTools Network.webSocketFrameReceived, every frame on every socket,
decompressed: an upper bound of the wire bytes) over the raw bytes (text + newline) of the lines the page shows. No
baseline (absolute bounds).
Knobs: BENCH_B4_SECONDS (flood length, default 120), BENCH_B4_RATE (default 2000), BENCH_B4_BURST (default 40000).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.b2_log_latency import open_pane, wait_for
from bench.common import Report, env_int, remove_containers
from bench.console import signed_in_console
from bench.log_probe import COUNTS_JS, LINE_BYTES, PROBE_JS, EngineReading, flood_container, frame_bytes, go

ID = 'B4'
TITLE = 'browser under a flood: 2k lines/s for 2 min, then a 40k-line burst'
TARGET = 'page heap growth < 50 MB, DOM lines bounded, no main-thread task > 200 ms, wire bytes <= 1.3x raw'
KEPT = 5000  # the log view keeps the newest 5000 lines (components.log_batches.MAX_LINES)
DOM_LINES_JS = 'return [document.querySelectorAll(".log-line").length, document.getElementsByTagName("*").length]'


def run() -> Report:
    report = Report(id=ID, title=TITLE, baseline='none (absolute bounds)', target=TARGET)
    seconds = env_int('BENCH_B4_SECONDS', 120)
    rate = env_int('BENCH_B4_RATE', 2000)
    burst = env_int('BENCH_B4_BURST', 40000)
    with (
        tempfile.TemporaryDirectory(prefix='hl-bench-') as tmp,
        signed_in_console(Path(tmp), network_log=True) as console,
    ):
        if console is None:
            report.note('not measured: no selenium, chromium or chromedriver (make browser)')
            return report.finish(None, 'no browser')
        driver, url = console
        wait_for(lambda: '/login' not in driver.current_url, 30, 'sign-in')
        return _flood(report, driver, url, seconds, rate, burst)


def _flood(report: Report, driver: Any, url: str, seconds: int, rate: int, burst: int) -> Report:
    lines = seconds * rate
    total = lines + burst
    name = flood_container(lines, rate, burst)
    reading = EngineReading(name)
    try:
        open_pane(driver, url, name)
        driver.execute_script(PROBE_JS, total)
        time.sleep(1.0)
        heap0 = heap(driver, collect=True)
        driver.get_log('performance')  # only what the flood brings counts
        reading.start()
        started = float(driver.execute_script('return performance.now()'))
        go(name)
        wire = frames = 0
        peak_heap, dom_max, nodes_max = heap0, 0, 0
        deadline = time.monotonic() + seconds * 2 + 120
        while time.monotonic() < deadline:
            time.sleep(2.0)
            got, count = frame_bytes(driver.get_log('performance'))
            wire, frames = wire + got, frames + count
            peak_heap = max(peak_heap, heap(driver))
            dom, nodes = driver.execute_script(DOM_LINES_JS)
            dom_max, nodes_max = max(dom_max, dom), max(nodes_max, nodes)
            if reading.lines >= total and sum(driver.execute_script(COUNTS_JS)[:2]) >= total:
                break
        time.sleep(2.0)
        got, count = frame_bytes(driver.get_log('performance'))
        wire, frames = wire + got, frames + count
        dom, nodes = driver.execute_script(DOM_LINES_JS)
        dom_max, nodes_max = max(dom_max, dom), max(nodes_max, nodes)
        heap1 = heap(driver, collect=True)
        shown, skipped, markers, other = driver.execute_script(COUNTS_JS)
        tasks = driver.execute_script('return window.__probe.longtasks')
        frames_js = driver.execute_script('return window.__probe.frames') or []
    finally:
        reading.stop()
        remove_containers([name])
    during = [d for s, d in (tasks or []) if s >= started]
    longest = max(during, default=0.0)
    raw_shown, raw_emitted = shown * LINE_BYTES, total * LINE_BYTES
    growth = (heap1 - heap0) / 2**20
    report.add('lines emitted (paced + burst) / read by docker logs -f', f'{lines} + {burst} / {len(reading.stamps)}')
    report.add('shown + skipped (markers) = total', f'{shown} + {skipped} ({markers}) = {shown + skipped}')
    exact = shown + skipped == total and other == 0
    report.add('totals reconcile exactly', 'yes' if exact else 'NO')
    report.add('JS heap before the flood (after GC)', round(heap0 / 2**20, 1), 'MB')
    report.add('JS heap after the burst (after GC)', round(heap1 / 2**20, 1), 'MB')
    report.add('JS heap growth (after GC)', round(growth, 1), 'MB')
    report.add('JS heap peak sampled during the flood (no GC)', round(peak_heap / 2**20, 1), 'MB')
    report.add('log lines in the DOM, max sampled / at the end', f'{dom_max} / {dom}')
    report.add('DOM elements of the page, max sampled', nodes_max)
    report.add('long tasks during the flood (> 50 ms)', len(during))
    report.add('longest main-thread task', round(longest), 'ms')
    worst = max((f for f in frames_js if f[0] >= started), key=lambda f: f[1], default=None)
    if worst is not None:
        report.add(
            'longest animation frame: total / script (forced layout) / render',
            f'{worst[1]:.0f} / {worst[2]:.0f} ({worst[3]:.0f}) / {worst[4]:.0f}',
            'ms',
        )
        report.add('longest animation frame: its longest script', worst[5] or '-')
    report.add('websocket frames received', frames)
    report.add('websocket payload bytes received', wire, 'bytes')
    report.add('raw bytes of the lines shown / of all emitted', f'{raw_shown} / {raw_emitted}')
    ratio = wire / raw_shown if raw_shown else None
    report.add('websocket bytes / raw bytes of the lines shown', None if ratio is None else round(ratio, 3))
    bounded = dom_max <= KEPT + 1  # the kept lines (skip markers included) and the "older lines" note
    met = growth < 50 and bounded and longest <= 200 and ratio is not None and ratio <= 1.3 and exact
    headline = (
        f'heap +{growth:.1f} MB, DOM max {dom_max} lines, longest task {longest:.0f} ms, '
        f'wire {0 if ratio is None else ratio:.2f}x raw'
    )
    return report.finish(ratio, 'websocket bytes / raw bytes of the lines shown', figure=headline, met=met)


def heap(driver: Any, *, collect: bool = False) -> int:
    """The page's used JS heap in bytes (after a full GC with `collect`)."""
    if collect:
        driver.execute_cdp_cmd('HeapProfiler.collectGarbage', {})
    return int(driver.execute_cdp_cmd('Runtime.getHeapUsage', {})['usedSize'])
