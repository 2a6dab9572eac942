"""`python -m bench [B1 B7 ...]`: run every benchmark, or the ones named. Figures, never pass/fail.

Each benchmark prints a line per figure (its ratio last) and writes bench/results/<id>.json. Whatever a
benchmark started (containers named hl-bench-<run>-..., processes) is removed even when it fails or the
run is interrupted.
"""

from __future__ import annotations

import importlib
import signal
import sys
import time
from types import FrameType

from bench.common import NAME_PREFIX, Report, cleanup, machine_facts, not_measured
from bench.summary import print_table, rows, write_markdown

# id -> module (a `run() -> Report` function), or the reason it is not measured yet.
BENCHMARKS: dict[str, str] = {
    'B1': 'bench.b1_log_ingest',
    'B2': 'bench.b2_log_latency',
    'B3': 'bench.b3_log_fanout',
    'B4': 'bench.b4_browser_flood',
    'B5': 'bench.b5_event_status',
    'B6': 'bench.b6_history_pages',
    'B7': 'bench.b7_audit_writes',
    'B8': 'bench.b8_operation_overhead',
    'B9': 'bench.b9_footprint',
    'B10': 'bench.b10_overview_page',
    'B11': 'bench.b11_stats_collector',
    'B12': 'bench.b12_alert_latency',
}


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f'signal {signum}')


def main(argv: list[str]) -> int:
    wanted = [arg.upper() for arg in argv] or list(BENCHMARKS)
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown:
        print(f'unknown benchmark(s): {", ".join(unknown)}; known: {", ".join(BENCHMARKS)}', file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupted)
    facts = machine_facts()
    print(
        f'bench: {", ".join(wanted)} | {facts["cpu_count"]} CPUs, load {facts["load_average"]}, '
        f'python {facts["python"]}, docker {facts.get("docker_engine")} (CLI {facts.get("docker_cli")}) '
        f'| throwaways {NAME_PREFIX}-*',
        flush=True,
    )
    started = time.monotonic()
    reports: list[Report] = []
    try:
        for bench_id in wanted:
            reports.append(_run_one(bench_id))
    except KeyboardInterrupt:
        print('bench: interrupted; cleaning up', flush=True)
        return 130
    finally:
        cleanup()
    seconds = time.monotonic() - started
    print(f'bench: done in {seconds:.0f} s; results in bench/results/', flush=True)
    table = rows(reports, BENCHMARKS)
    print_table(table)
    print(f'bench: summary written to {write_markdown(table, seconds)}', flush=True)
    return 0


def _run_one(bench_id: str) -> Report:
    module = importlib.import_module(BENCHMARKS[bench_id])
    skipped = getattr(module, 'NOT_MEASURED', None)
    if skipped is not None:
        return not_measured(bench_id, module.TITLE, module.TARGET, skipped)
    print(f'---- {bench_id}: {module.TITLE}', flush=True)
    try:
        report = module.run()
        assert isinstance(report, Report)
        return report
    except KeyboardInterrupt:
        raise
    except Exception as err:
        report = Report(id=bench_id, title=module.TITLE, baseline='-', target=getattr(module, 'TARGET', '-'))
        return report.fail(err)
    finally:
        cleanup()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
