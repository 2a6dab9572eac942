"""B3 log fan-out: CPU per 1M lines for 1 viewer and for 5 viewers of one container, through the LogHub.

The CPU is this process's (all threads: the hub's reader thread and the event loop feeding every
subscriber) from the go to the last line; dockerd's CPU over the same time is shown too, to see that five
viewers still cost the engine one stream.
"""

from __future__ import annotations

import asyncio

from bench.common import Report, env_int, median, remove_containers
from bench.floods import Tally, count_hub, flood_container
from ops.docker.engine import Engine

ID = 'B3'
TITLE = 'log fan-out: CPU per 1M lines, 1 viewer vs 5 viewers of one container'


def run() -> Report:
    report = Report(
        id=ID,
        title=TITLE,
        baseline='1 viewer of the same flood through the same hub',
        target='5 viewers <= 1.5x one (one engine stream feeds all)',
    )
    lines = env_int('BENCH_B3_LINES', 60_000)
    rounds = env_int('BENCH_B3_ROUNDS', 2)
    report.add('lines per flood', lines, 'lines')
    engine = Engine()
    tallies: dict[int, list[Tally]] = {1: [], 5: []}
    try:
        for _ in range(rounds):
            for viewers in (1, 5):
                name = flood_container(lines, tty=False)
                try:
                    tallies[viewers].append(asyncio.run(count_hub(engine, name, viewers)))
                finally:
                    remove_containers([name])
    finally:
        engine.reset()
    per_million: dict[int, float] = {}
    for viewers, runs in tallies.items():
        per_million[viewers] = median([t.cpu / max(t.lines + t.skipped, 1) * 1e6 for t in runs])
        report.add(f'{viewers} viewer(s): CPU s per 1M lines, this process', round(per_million[viewers], 2), 's')
        dockerd = median([t.dockerd_cpu / max(t.lines + t.skipped, 1) * 1e6 for t in runs])
        report.add(f'{viewers} viewer(s): CPU s per 1M lines, dockerd', round(dockerd, 2), 's')
        report.add(f'{viewers} viewer(s): lines/s', median([t.rate for t in runs]), 'lines/s')
        report.add(f'{viewers} viewer(s): lines skipped for a slow viewer (max)', max(t.skipped for t in runs), 'lines')
        report.add(f'{viewers} viewer(s): engine log streams open', max(t.engine_streams for t in runs))
    ratio = per_million[5] / per_million[1] if per_million[1] > 0 else None
    shown = round(ratio, 3) if ratio is not None else None
    return report.finish(
        shown,
        'CPU per line, 5 viewers / 1 viewer',
        figure=f'CPU per 1M lines: 1 viewer {per_million[1]:.2f} s, 5 viewers {per_million[5]:.2f} s',
        met=shown is not None and shown <= 1.5,
    )
