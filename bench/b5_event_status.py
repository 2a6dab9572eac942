"""B5 event-driven status: `docker stop` -> the observer's world shows the container exited.

With N throwaway busybox containers running, K of them are stopped one at a time. Latency is measured
from the engine's own `die` event time (timeNano) to:
  - the observer publishing the change (its container_changed event with state 'exited'), and
  - the baseline: a `docker events` CLI process printing that event (the physical limit).
Then the observer is left idle and every HTTP request its engine client makes is counted (by path).
Then the outage case (bench/b5_outage.py): a second observer's engine connection is cut while more events happen
than the engine's 256-event replay holds; after the restore its world is compared with `docker ps -a`.
No browser here: the table cell in Chromium (B10's territory) is not measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections import Counter
from typing import Any

from bench.b5_outage import measure_outage
from bench.common import (
    NAME_PREFIX,
    DieEventsCli,
    Report,
    client,
    create_many,
    env_int,
    ms,
    percentile,
    remove_containers,
    wait_async,
)
from ops.docker.engine import Engine
from ops.world.observer import ContainerChange, Observer

ID = 'B5'
TITLE = 'event-driven status: docker stop -> observer world changed'


def run() -> Report:
    return asyncio.run(_run())


async def _run() -> Report:
    report = Report(
        id=ID,
        title=TITLE,
        baseline='`docker events` CLI receiving the same die event (engine timeNano -> line read)',
        target=(
            'p95 < 300 ms; at idle no list/stats calls beyond one reconciliation per 5 min; '
            'state correct after an event-stream outage longer than the engine 256-event replay'
        ),
    )
    count = env_int('BENCH_B5_CONTAINERS', 60)
    stops = min(env_int('BENCH_B5_STOPS', 30), count)
    idle = env_int('BENCH_B5_IDLE_SECONDS', 30)
    started = time.monotonic()
    names = await asyncio.to_thread(create_many, 'status', count, ['sleep', '3600'], start=True)
    report.add('throwaway containers running', count)
    report.add('time to create and start them', round(time.monotonic() - started, 1), 's')
    total = len(await asyncio.to_thread(client().api.containers, all=True))
    report.add('containers on the engine (all)', total)

    engine = Engine()
    calls: Counter[str] = Counter()
    counting = False

    def count_call(response: Any, *args: Any, **kwargs: Any) -> None:
        if counting:
            path = response.request.path_url.split('?')[0]
            one = (
                ' (one container)'
                if path.endswith('/containers/json') and 'filters=' in response.request.path_url
                else ''
            )
            calls[f'{response.request.method} {_shape(path)}{one}'] += 1

    engine.client().api.hooks['response'].append(count_call)
    observer = Observer(engine)
    changed: dict[str, float] = {}
    ids: dict[str, str] = {}

    def on_change(change: ContainerChange) -> None:
        info = change.info
        if info is not None and info.state == 'exited' and info.name.startswith(NAME_PREFIX):
            changed.setdefault(change.container_id, time.time())

    observer.container_changed.subscribe(on_change)
    cli = DieEventsCli()
    task = asyncio.create_task(observer.run(), name='bench-observer')
    try:
        await wait_async(lambda: observer.engine_state.reachable is True and len(observer.containers) >= count, 30)
        ids = {info.name: cid for cid, info in observer.containers.items() if info.name in set(names)}
        await asyncio.sleep(1.0)  # the observer's event stream is open and quiet
        observed: list[float] = []
        baseline: list[float] = []
        missing = 0
        for name in names[:stops]:
            cid = ids.get(name, '')
            await asyncio.to_thread(client().api.stop, name, timeout=5)
            ok = await wait_async(lambda cid=cid: cid in changed and cid in cli.seen, 5)
            if not ok:
                missing += 1
                continue
            engine_time = cli.seen[cid][0] / 1e9
            observed.append(changed[cid] - engine_time)
            baseline.append(cli.seen[cid][1] - engine_time)
            await asyncio.sleep(0.05)
        report.add('containers stopped one at a time', stops)
        if missing:
            report.note(f'{missing} stop(s) not seen by the observer or the CLI within 5 s (left out)')
        report.add('observer: die -> world changed, p50', ms(percentile(observed, 50)), 'ms')
        report.add('observer: die -> world changed, p95', ms(percentile(observed, 95)), 'ms')
        report.add('observer: die -> world changed, max', ms(max(observed, default=0.0)), 'ms')
        report.add('baseline docker events CLI: die -> line read, p50', ms(percentile(baseline, 50)), 'ms')
        report.add('baseline docker events CLI: die -> line read, p95', ms(percentile(baseline, 95)), 'ms')

        # Idle: nothing of ours changes; other containers on the engine (healthchecks) may still send events.
        counting = True
        idle_from = time.time()
        await asyncio.sleep(idle)
        counting = False
        idle_events = await asyncio.to_thread(_engine_events, idle_from, time.time())
        per_minute = 60 / idle
        total_calls = sum(calls.values())
        report.add(f'engine API requests in {idle} s idle, scaled to a minute', round(total_calls * per_minute, 1))
        lists = sum(n for key, n in calls.items() if key == 'GET /containers/json')
        lists_per_minute = lists * per_minute
        report.add('  of which full container lists (reconciliations), per minute', round(lists_per_minute, 1))
        lookups = sum(n for key, n in calls.items() if key == 'GET /containers/json (one container)')
        report.add('  of which one-container lists (one per state event), per minute', round(lookups * per_minute, 1))
        stats = sum(n for key, n in calls.items() if '/stats' in key)
        stats_per_minute = stats * per_minute
        report.add('  of which stats calls, per minute', round(stats_per_minute, 1))
        for key, n in calls.most_common(5):
            report.add(f'  idle requests: {key}', n)
        report.add(f'container events on the engine during the idle {idle} s', sum(idle_events.values()))
        for action, n in idle_events.most_common(4):
            report.add(f'  idle events: {action}', n)
        report.note(
            'a state event (die, start, health_status...) makes the observer list that one container; healthcheck '
            'exec_* probes of a known container make no call. The idle target counts full listings and stats '
            'calls (polling); the one-container lookups follow the engine event rate'
        )
    finally:
        observer.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        cli.close()
        engine.reset()
        await asyncio.to_thread(remove_containers, names)
    outage = await measure_outage(report)
    p95_obs, p95_base = percentile(observed, 95), percentile(baseline, 95)
    ratio = round(p95_obs / p95_base, 3) if p95_base > 0 else None
    exact = outage.exact_after is not None and not outage.final_mismatches and outage.regressions == 0
    outage_text = f'exact in {outage.exact_after:.1f} s' if exact and outage.exact_after is not None else 'NOT exact'
    idle_ok = lists_per_minute <= 0.2 and stats_per_minute == 0
    return report.finish(
        ratio,
        'p95 latency, observer / docker events CLI',
        figure=f'p95 {ms(p95_obs):.0f} ms; outage {outage.events} events: {outage_text}',
        met=ms(p95_obs) < 300 and idle_ok and exact and not outage.replay_covers_cut,
    )


def _engine_events(since: float, until: float) -> Counter[str]:
    """Container events the engine recorded between two times, by action (health probes folded together)."""
    out = subprocess.run(
        [
            'docker',
            'events',
            '--since',
            f'{since:.3f}',
            '--until',
            f'{until:.3f}',
            '--filter',
            'type=container',
            '--format',
            '{{.Action}}',
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    return Counter(line.split(':')[0].strip() for line in out.splitlines() if line.strip())


def _shape(path: str) -> str:
    """/v1.41/containers/<id>/json -> /containers/{id}/json: request kinds, not ids."""
    parts = [p for p in path.split('/') if p]
    if parts and parts[0].startswith('v1.'):
        parts = parts[1:]
    if len(parts) >= 3 and parts[0] == 'containers':
        parts[1] = '{id}'
    return '/' + '/'.join(parts)
