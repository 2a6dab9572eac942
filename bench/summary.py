"""The closing table of `make bench` (id, figure, ratio, target, met?) and bench/results/summary.md.

The table holds this run's reports; a benchmark not run this time is shown from its last results file, marked
with the date it was measured, so summary.md always covers B1-B12 and says how fresh each row is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.common import RESULTS, Report, machine_facts

SUMMARY = RESULTS / 'summary.md'


def verdict(met: bool | None, measured: bool = True, error: str | None = None) -> str:
    if not measured:
        return 'not measured'
    if error:
        return 'FAILED'
    return {True: 'yes', False: 'NO', None: '?'}[met]


def _row_of_report(report: Report) -> dict[str, Any]:
    return {
        'id': report.id,
        'figure': report.headline or (report.notes[0] if not report.measured and report.notes else ''),
        'ratio': report.ratio,
        'ratio_label': report.ratio_label,
        'target': report.target,
        'met': verdict(report.met, report.measured, report.error),
        'when': 'this run',
    }


def _row_of_file(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return None
    return {
        'id': data.get('id', path.stem),
        'figure': data.get('headline') or '',
        'ratio': data.get('ratio'),
        'ratio_label': data.get('ratio_label', ''),
        'target': data.get('target', ''),
        'met': verdict(data.get('met'), data.get('measured', True), data.get('error')),
        'when': f'earlier ({data.get("started_at", "?")})',
    }


def rows(reports: Sequence[Report], every: Iterable[str]) -> list[dict[str, Any]]:
    """One row per benchmark id in `every`: this run's report, else its last results file, else 'never run'."""
    mine = {report.id: report for report in reports}
    out: list[dict[str, Any]] = []
    for bench_id in every:
        if bench_id in mine:
            out.append(_row_of_report(mine[bench_id]))
            continue
        row = _row_of_file(RESULTS / f'{bench_id}.json')
        out.append(
            row
            or {
                'id': bench_id,
                'figure': '',
                'ratio': None,
                'ratio_label': '',
                'target': '',
                'met': 'never run',
                'when': '-',
            }
        )
    return out


def _ratio(row: dict[str, Any]) -> str:
    return '-' if row['ratio'] is None else f'{row["ratio"]:.3f}x'


def print_table(table: Sequence[dict[str, Any]]) -> None:
    print(f'  {"id":<4} {"met?":<12} {"ratio":<9} figure', flush=True)
    for row in table:
        when = '' if row['when'] == 'this run' else f'  [{row["when"]}]'
        print(f'  {row["id"]:<4} {row["met"]:<12} {_ratio(row):<9} {row["figure"]}{when}', flush=True)


def _cell(text: object) -> str:
    return str(text).replace('|', '\\|').replace('\n', ' ')


def write_markdown(table: Sequence[dict[str, Any]], seconds: float) -> Path:
    facts = machine_facts()
    lines = [
        '# Benchmarks: where the project stands',
        '',
        'Written by `make bench` (`python -m bench`); figures, not pass/fail. Ratios are against a baseline',
        'measured in the same run (../shared/BENCHMARKS.md says what each one measures).',
        '',
        f'- commit {facts.get("git_commit")}, {facts["cpu_count"]} CPUs, {facts.get("memory_total_mb")} MB, '
        f'{facts["platform"]}',
        f'- Python {facts["python"]}, SQLite {facts["sqlite"]}, docker-py {facts["docker_py"]}, '
        f'engine {facts.get("docker_engine")} (API {facts.get("docker_api")}), NiceGUI {facts.get("nicegui")}',
        f'- run took {seconds:.0f} s; load average at the end {tuple(round(x, 2) for x in facts["load_average"])}',
        '',
        '| id | figure | ratio | target | met? | measured |',
        '|---|---|---|---|---|---|',
    ]
    for row in table:
        ratio = _ratio(row) if row['ratio'] is None else f'{_ratio(row)} ({row["ratio_label"]})'
        lines.append(
            f'| {row["id"]} | {_cell(row["figure"])} | {_cell(ratio)} | {_cell(row["target"])} | {row["met"]} '
            f'| {_cell(row["when"])} |'
        )
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return SUMMARY
