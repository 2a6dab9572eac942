"""`homelab runs list|show`: the history of operation runs, newest first."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.common import OK, Commands, command, fail, history_options, print_json, print_page, with_core
from app.system import Core
from ops.runs import RunState
from ops.store.models import Run
from ops.store.queries import HistoryFilter, runs_page


def add_commands(commands: Commands) -> None:
    """Register `runs` and its actions on the top-level sub-parser."""
    runs = commands.add_parser('runs', help='history of operation runs')
    runs_commands = runs.add_subparsers(title='runs commands', metavar='ACTION', required=True)
    runs_list = command(runs_commands, 'list', _list, help='newest first', json=False)
    history_options(runs_list)
    runs_list.add_argument('--state', choices=[state.value for state in RunState])
    show = command(runs_commands, 'show', _show, help='one run with its output')
    show.add_argument('run_id', type=int)


def _list(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        state = RunState(args.state) if args.state else None
        where = HistoryFilter(operation=args.operation, actor=args.actor, state=state)
        page = await runs_page(before=args.before, limit=args.limit, where=where)
        return print_page(page, 'runs', as_json=args.json, row=_row, line=_line)

    return with_core(run)


def _line(r: Run) -> str:
    return (
        f'{r.id:>6} {r.created_at:%Y-%m-%d %H:%M:%S} {r.state:11} {r.operation:24} {r.actor:20} {(r.error or "")[:80]}'
    )


def _show(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        found = await Run.get_or_none(id=args.run_id)
        if found is None:
            return fail(f'no run #{args.run_id}')
        row = _row(found, with_output=True)
        if args.json:
            print_json(row, default=str)
            return OK
        for key, value in row.items():
            if key != 'output':
                print(f'{key:14} {value}')
        print('--- output' + (f' ({found.dropped_lines} earlier lines dropped)' if found.dropped_lines else ''))
        print(found.output)
        return OK

    return with_core(run)


def _row(run: Run, *, with_output: bool = False) -> dict[str, Any]:
    row = {
        'id': run.id,
        'operation': run.operation,
        'params': run.params,
        'actor': run.actor,
        'origin': run.origin,
        'state': run.state,
        'created_at': run.created_at.isoformat(),
        'started_at': run.started_at.isoformat() if run.started_at else None,
        'finished_at': run.finished_at.isoformat() if run.finished_at else None,
        'error': run.error,
        'joined_run_id': run.joined_run_id,
    }
    if with_output:
        row.update(result=run.result, output=run.output, dropped_lines=run.dropped_lines)
    return row
