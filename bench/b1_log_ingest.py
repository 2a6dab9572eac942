"""B1 log ingest: lines/s from a flooding container into the log hub (no browser), non-TTY and TTY.

Baseline, same run: `docker logs -f` piped to a line counter. For TTY also docker-py's default follow, which
reads a TTY stream one byte per call. Each round uses fresh containers; the median round is reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bench.common import Report, env_int, median, remove_containers
from bench.floods import Tally, count_cli, count_docker_py_default, count_hub, count_logstream, flood_container
from ops.docker.engine import Engine

ID = 'B1'
TITLE = 'log ingest: lines/s from a flooding container into the log hub'


def run() -> Report:
    report = Report(
        id=ID,
        title=TITLE,
        baseline='`docker logs -f` piped to a line counter (and, for TTY, docker-py default follow)',
        target='>= 0.8x the CLI rate, non-TTY and TTY, every line reconciled (TTY vs docker-py default reported)',
    )
    lines = env_int('BENCH_B1_LINES', 100_000)
    rounds = env_int('BENCH_B1_ROUNDS', 2)
    report.add('lines per flood', lines, 'lines')
    engine = Engine()
    try:
        results: dict[str, list[Tally]] = {}
        for tty in (False, True):
            mode = 'TTY' if tty else 'non-TTY'
            for _ in range(rounds):
                results.setdefault(f'cli {mode}', []).append(_once(count_cli, lines, tty))
                results.setdefault(f'hub {mode}', []).append(
                    _once(lambda n: asyncio.run(count_hub(engine, n)), lines, tty)
                )
            results[f'LogStream alone {mode}'] = [_once(lambda n: count_logstream(engine, n), lines, tty)]
        budget = float(env_int('BENCH_B1_DOCKER_PY_SECONDS', 8))
        results['docker-py default TTY'] = [_once(lambda n: count_docker_py_default(n, budget), lines, True)]
    finally:
        engine.reset()

    rates: dict[str, float] = {}
    for key, tallies in results.items():
        rates[key] = median([t.rate for t in tallies])
        report.add(f'{key}: lines/s (median of {len(tallies)})', rates[key], 'lines/s')
        got = min(t.lines + t.skipped for t in tallies)
        if key.startswith('LogStream'):
            batches = sum(t.batches for t in tallies)
            report.add(
                f'{key}: lines per batch (socket read)', round(sum(t.lines for t in tallies) / max(batches, 1), 2)
            )
        if key.startswith('hub'):
            report.add(f'{key}: lines skipped for the slow reader (max)', max(t.skipped for t in tallies), 'lines')
        if got < lines and not key.startswith('docker-py'):
            report.note(f'{key}: a round counted only {got} of {lines} lines')
        if any(t.timed_out for t in tallies):
            report.note(f'{key}: stopped at its time budget; the rate covers what was read until then')
    non_tty_ratio = _ratio(rates['hub non-TTY'], rates['cli non-TTY'])
    tty_ratio = _ratio(rates['hub TTY'], rates['cli TTY'])
    tty_vs_py = _ratio(rates['hub TTY'], rates['docker-py default TTY'])
    report.add('TTY: hub / CLI', tty_ratio, 'x')
    report.add('TTY: hub / docker-py default (BENCHMARKS.md: >= 20x)', tty_vs_py, 'x')
    # The flood itself (awk in the container, then dockerd) caps every reader: this is the most any reader can get.
    # Every line of every flood either reached the reader or was counted as skipped: no more, no fewer.
    reconciled = all(
        t.lines + t.skipped == lines
        for key, tallies in results.items()
        if not key.startswith('docker-py')
        for t in tallies
    )
    # The target (issue 15's restatement of BENCHMARKS.md): >= 0.8x the CLI in both modes, every line reconciled.
    # BENCHMARKS.md's older TTY clause (>= 20x docker-py's default) is reported, not judged: the CLI itself, which
    # reads the same flood, is the ceiling of any reader, and it reaches only about 11x here.
    met = reconciled and None not in (non_tty_ratio, tty_ratio) and min(non_tty_ratio or 0, tty_ratio or 0) >= 0.8
    cli_vs_py = _ratio(rates['cli TTY'], rates['docker-py default TTY'])
    report.add('TTY: docker logs -f / docker-py default (the ceiling of any reader)', cli_vs_py, 'x')
    if (tty_vs_py or 0) < 20 and cli_vs_py is not None and cli_vs_py < 20:
        report.note(
            f'TTY vs docker-py default: hub {_show(tty_vs_py)}, but docker logs -f itself only {_show(cli_vs_py)} '
            '(the flood is the ceiling); the 20x clause cannot be reached by any reader of this flood'
        )
    figure = (
        f'hub / docker logs -f: non-TTY {_show(non_tty_ratio)}, TTY {_show(tty_ratio)}; '
        f'TTY {_show(tty_vs_py)} docker-py default; {rates["hub non-TTY"] / 1000:.0f}k lines/s non-TTY'
    )
    return report.finish(non_tty_ratio, 'non-TTY hub / docker logs -f', figure=figure, met=met)


def _once(reader: Callable[[str], Tally], lines: int, tty: bool) -> Tally:
    name = flood_container(lines, tty=tty)
    try:
        return reader(name)
    finally:
        remove_containers([name])


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b > 0 else None


def _show(ratio: float | None) -> str:
    return '-' if ratio is None else f'{ratio:.2f}x'
