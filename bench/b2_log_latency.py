"""B2 log latency: emit timestamp -> text visible in headless Chromium, at 1k and 5k lines/s.

A throwaway console (`homelab serve`) and a signed-in headless Chromium show a paced flooding container on
/logs?container=NAME (bench/log_probe.py: the line's emit time is the engine's timestamp for it; the browser
stamps each line in the animation frame after it enters the DOM; browser, engine and bench share the host clock).
Baseline: the same lines read straight from the engine in the same run (`docker logs -f --timestamps`, the time
this process read them). Totals: every emitted line is either shown or counted by a visible skipped marker.
Knobs: BENCH_B2_SECONDS (flood length per rate, default 30), BENCH_B2_RATES (default 1000,5000).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Report, env_int, percentile, remove_containers
from bench.console import signed_in_console
from bench.log_probe import COUNTS_JS, PROBE_JS, TIMES_JS, EngineReading, flood_container, go

ID = 'B2'
TITLE = 'log latency: emit timestamp -> text visible in headless Chromium, at 1k and 5k lines/s'
TARGET = 'p95 < 100 ms at 1k/s, < 250 ms at 5k/s; every line shown or counted in a visible skipped marker'
BOUNDS = {1000: 100.0, 5000: 250.0}  # ms


def run() -> Report:
    report = Report(id=ID, title=TITLE, baseline='the same lines read by `docker logs -f --timestamps`', target=TARGET)
    seconds = env_int('BENCH_B2_SECONDS', 30)
    rates = [int(r) for r in os.environ.get('BENCH_B2_RATES', '1000,5000').split(',') if r.strip()]
    report.note('emit time = the engine timestamp of each line; visible = the animation frame after it entered the DOM')
    results: dict[int, tuple[float, float, bool]] = {}
    with tempfile.TemporaryDirectory(prefix='hl-bench-') as tmp, signed_in_console(Path(tmp)) as console:
        if console is None:
            report.note('not measured: no selenium, chromium or chromedriver (make browser)')
            return report.finish(None, 'no browser')
        driver, url = console
        wait_for(lambda: '/login' not in driver.current_url, 30, 'sign-in')
        for rate in rates:
            results[rate] = _one_rate(report, driver, url, rate, seconds)
    met = all(rate in results for rate in BOUNDS) and all(
        p95 < BOUNDS.get(rate, float('inf')) and exact for rate, (p95, _, exact) in results.items()
    )
    first = results.get(1000) or next(iter(results.values()), None)
    ratio = first[0] / first[1] if first and first[1] > 0 else None
    headline = ', '.join(f'p95 {p95:.0f} ms at {rate // 1000}k/s' for rate, (p95, _, _) in results.items())
    exact = all(e for _, _, e in results.values())
    return report.finish(
        ratio,
        'p95 console / p95 docker logs -f (1k/s)',
        figure=f'{headline}; totals {"exact" if exact else "NOT exact"}',
        met=met,
    )


def _one_rate(report: Report, driver: Any, url: str, rate: int, seconds: int) -> tuple[float, float, bool]:
    lines = rate * seconds
    name = flood_container(lines, rate)
    reading = EngineReading(name)
    try:
        open_pane(driver, url, name)
        driver.execute_script(PROBE_JS, lines)
        reading.start()
        time.sleep(1.0)
        go(name)
        wait_for(lambda: reading.lines >= lines, seconds * 3 + 30, f'{lines} lines from the engine')
        wait_for(lambda: sum(driver.execute_script(COUNTS_JS)[:2]) >= lines, 30, 'every line shown or counted')
        time.sleep(0.5)  # a late marker would still show up
        shown, skipped, markers, other = driver.execute_script(COUNTS_JS)
        times = driver.execute_script(TIMES_JS)
    finally:
        reading.stop()
        remove_containers([name])
    painted = [(t[1] / 1000 - reading.stamps[t[0]]) * 1000 for t in times if t[0] in reading.stamps]
    inserted = [(t[2] / 1000 - reading.stamps[t[0]]) * 1000 for t in times if t[0] in reading.stamps]
    engine = [(reading.received[s] - reading.stamps[s]) * 1000 for s in reading.stamps]
    tag = f'{rate // 1000}k/s'
    report.add(f'{tag}: lines emitted / read by docker logs -f', f'{lines} / {len(reading.stamps)}')
    report.add(f'{tag}: shown + skipped (markers) = total', f'{shown} + {skipped} ({markers}) = {shown + skipped}')
    exact = shown + skipped == lines and len(reading.stamps) == lines and other == 0
    report.add(f'{tag}: totals reconcile exactly', 'yes' if exact else 'NO')
    p95 = percentile(painted, 95)
    base95 = percentile(engine, 95)
    report.add(f'{tag}: emit -> painted in Chromium p50', round(percentile(painted, 50), 1), 'ms')
    report.add(f'{tag}: emit -> painted in Chromium p95', round(p95, 1), 'ms')
    report.add(
        f'{tag}: emit -> painted in Chromium p99 / max', f'{percentile(painted, 99):.0f} / {max(painted):.0f}', 'ms'
    )
    report.add(f'{tag}: emit -> in the DOM p95', round(percentile(inserted, 95), 1), 'ms')
    report.add(f'{tag}: baseline emit -> read by docker logs -f p50', round(percentile(engine, 50), 1), 'ms')
    report.add(f'{tag}: baseline emit -> read by docker logs -f p95', round(base95, 1), 'ms')
    achieved = (max(reading.stamps.values()) - min(reading.stamps.values())) if reading.stamps else 0
    report.add(f'{tag}: achieved emit rate', round(lines / achieved) if achieved else 0, 'lines/s')
    return p95, base95, exact


def open_pane(driver: Any, url: str, name: str) -> None:
    """/logs?container=NAME until its pane is live (the console may learn of a new container a moment late)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        driver.get(f'{url}/logs?container={name}')
        if wait_for(lambda: live(driver), 5, None):
            return
    raise RuntimeError(f'the log pane of {name} did not go live')


def live(driver: Any) -> bool:
    script = (
        'const s = document.querySelector("[data-testid=log-status]"); return !!s && s.textContent.includes("live:")'
    )
    return bool(driver.execute_script(script))


def wait_for(condition: Any, timeout: float, what: str | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    if what is not None:
        raise TimeoutError(f'waited {timeout:.0f} s for {what}')
    return False
