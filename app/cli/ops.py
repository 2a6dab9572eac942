"""`homelab ops list|run`: the operation catalog from the host, run through the same manager as the console."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli.common import FAILED, OK, REFUSED, Commands, actor, command, fail, print_json, with_core
from app.system import Core
from ops.catalog import catalog
from ops.runs import RunOutcome, RunState

EXIT = {RunState.SUCCEEDED: OK, RunState.REJECTED: REFUSED}
"""The exit code of `ops run` by how the run ended; any other end is FAILED."""


def add_commands(commands: Commands) -> None:
    """Register `ops` and its actions on the top-level sub-parser."""
    ops = commands.add_parser('ops', help='list or run allowlisted operations')
    ops_commands = ops.add_subparsers(title='ops commands', metavar='ACTION', required=True)
    command(ops_commands, 'list', _list, help='the operation catalog with argument schemas')
    run = command(ops_commands, 'run', _run, help='run one operation: homelab ops run NAME key=value ...')
    run.add_argument('name')
    # REMAINDER: every word after NAME is an argument for the manager to judge (and audit), even '-x' ones.
    run.add_argument('arguments', nargs=argparse.REMAINDER, metavar='key=value')
    run.add_argument('--yes', action='store_true', help='do not ask for confirmation at a terminal')


def parse_arguments(pairs: list[str]) -> dict[str, Any]:
    """key=value words into a dict; a word without '=' becomes an unknown argument the manager refuses."""
    raw: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition('=')
        raw[key] = value if sep else None
    return raw


def _list(args: argparse.Namespace) -> int:
    specs = catalog().specs()
    if args.json:
        print_json([_describe_spec(spec) for spec in specs])
        return OK
    for spec in specs:
        kind = 'change' if spec.mutating else 'read'
        fields = ', '.join(spec.params.model_fields) or '-'
        print(f'{spec.name:26} {kind:6} {fields:32} {spec.summary}')
    return OK


def _describe_spec(spec: Any) -> dict[str, Any]:
    return {
        'name': spec.name,
        'label': spec.label,
        'group': spec.group.value,
        'summary': spec.summary,
        'mutating': spec.mutating,
        'confirm': spec.confirm,
        'timeout': spec.timeout,
        'pool': spec.pool,
        'single_flight': spec.lock is not None,
        'on_busy': spec.on_busy if spec.lock is not None else None,
        'arguments': spec.params.model_json_schema(),
    }


def _run(args: argparse.Namespace) -> int:
    as_json = args.json or '--json' in args.arguments
    yes = args.yes or '--yes' in args.arguments
    words = [word for word in args.arguments if word not in {'--json', '--yes'}]
    spec = catalog().get(args.name)
    # A person at a terminal confirms changes that need it; a script's explicit command line is its confirmation.
    if spec is not None and spec.confirm and not yes and sys.stdin.isatty():
        answer = input(f'{args.name} changes the host ({spec.summary}). Run it? [y/N] ')
        if answer.strip().lower() not in {'y', 'yes'}:
            return fail('not confirmed; nothing ran')

    async def run(core: Core) -> int:
        outcome = await core.manager.run(args.name, parse_arguments(words), actor=actor(), origin='cli')
        _print_outcome(outcome, as_json=as_json)
        return EXIT.get(outcome.state, FAILED)

    return with_core(run)


def _print_outcome(outcome: RunOutcome, *, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                'run_id': outcome.run_id,
                'operation': outcome.operation,
                'state': outcome.state.value,
                'error': outcome.error,
                'result': outcome.result,
                'output': outcome.output,
                'dropped_lines': outcome.dropped_lines,
                'joined_run_id': outcome.joined_run_id,
            }
        )
        return
    if outcome.output:
        print(outcome.output)
    stream = sys.stdout if outcome.succeeded else sys.stderr
    reason = f': {outcome.error}' if outcome.error else ''
    print(f'homelab: run #{outcome.run_id} {outcome.operation} {outcome.state.value}{reason}', file=stream)
