"""`homelab ops|runs|audit`: the catalog, runs and audit trail from the host, through the same manager."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pwd
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from app.settings import Settings
from app.system import Core
from ops.catalog import catalog
from ops.runs import RunOutcome, RunState
from ops.store.audit import verify_chain
from ops.store.models import AuditEvent, Run
from ops.store.queries import HistoryFilter, audit_page, runs_page

EXIT = {RunState.SUCCEEDED: 0, RunState.REJECTED: 2}


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ops = commands.add_parser('ops', help='list or run allowlisted operations')
    ops_commands = ops.add_subparsers(title='ops commands', metavar='ACTION', required=True)
    listing = ops_commands.add_parser('list', help='the operation catalog with argument schemas')
    listing.add_argument('--json', action='store_true')
    listing.set_defaults(handler=_ops_list)
    run = ops_commands.add_parser('run', help='run one operation: homelab ops run NAME key=value ...')
    run.add_argument('name')
    # REMAINDER: every word after NAME is an argument for the manager to judge (and audit), even '-x' ones.
    run.add_argument('arguments', nargs=argparse.REMAINDER, metavar='key=value')
    run.add_argument('--json', action='store_true')
    run.add_argument('--yes', action='store_true', help='do not ask for confirmation at a terminal')
    run.set_defaults(handler=_ops_run)

    runs = commands.add_parser('runs', help='history of operation runs')
    runs_commands = runs.add_subparsers(title='runs commands', metavar='ACTION', required=True)
    runs_list = runs_commands.add_parser('list', help='newest first')
    _history_options(runs_list)
    runs_list.add_argument('--state')
    runs_list.set_defaults(handler=_runs_list)
    show = runs_commands.add_parser('show', help='one run with its output')
    show.add_argument('run_id', type=int)
    show.add_argument('--json', action='store_true')
    show.set_defaults(handler=_runs_show)

    audit = commands.add_parser('audit', help='the tamper-evident audit trail')
    audit_commands = audit.add_subparsers(title='audit commands', metavar='ACTION', required=True)
    audit_list = audit_commands.add_parser('list', help='newest first')
    _history_options(audit_list)
    audit_list.add_argument('--kind')
    audit_list.add_argument('--run', type=int, dest='run_id')
    audit_list.set_defaults(handler=_audit_list)
    verify = audit_commands.add_parser('verify', help='check the hash chain; name the first bad event')
    verify.set_defaults(handler=_audit_verify)


def _history_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--limit', type=int, default=50)
    parser.add_argument('--before', type=int, help='show rows older than this id (the next page)')
    parser.add_argument('--operation')
    parser.add_argument('--actor')
    parser.add_argument('--json', action='store_true')


def actor() -> str:
    """`cli:<effective OS user>`: the account whose rights did it (not $USER or $LOGNAME, which the caller sets)."""
    try:
        return f'cli:{pwd.getpwuid(os.geteuid()).pw_name}'
    except KeyError:  # a uid without a passwd entry (a container run as --user 1000)
        return f'cli:uid-{os.geteuid()}'


def with_core(action: Callable[[Core], Awaitable[int]]) -> int:
    async def run() -> int:
        core = Core(Settings())
        await core.open()
        try:
            return await action(core)
        finally:
            await core.close()

    return asyncio.run(run())


def _ops_list(args: argparse.Namespace) -> int:
    specs = catalog().specs()
    if args.json:
        print(json.dumps([_describe_spec(spec) for spec in specs], indent=2))
        return 0
    for spec in specs:
        kind = 'change' if spec.mutating else 'read'
        fields = ', '.join(spec.params.model_fields) or '-'
        print(f'{spec.name:26} {kind:6} {fields:32} {spec.summary}')
    return 0


def _describe_spec(spec: Any) -> dict[str, Any]:
    return {
        'name': spec.name,
        'summary': spec.summary,
        'mutating': spec.mutating,
        'confirm': spec.confirm,
        'timeout': spec.timeout,
        'pool': spec.pool,
        'single_flight': spec.lock is not None,
        'on_busy': spec.on_busy if spec.lock is not None else None,
        'arguments': spec.params.model_json_schema(),
    }


def parse_arguments(pairs: list[str]) -> dict[str, Any]:
    """key=value words into a dict; a word without '=' becomes an unknown argument the manager refuses."""
    raw: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition('=')
        raw[key] = value if sep else None
    return raw


def _ops_run(args: argparse.Namespace) -> int:
    as_json = args.json or '--json' in args.arguments
    yes = args.yes or '--yes' in args.arguments
    words = [word for word in args.arguments if word not in {'--json', '--yes'}]
    spec = catalog().get(args.name)
    # A person at a terminal confirms changes that need it; a script's explicit command line is its confirmation.
    if spec is not None and spec.confirm and not yes and sys.stdin.isatty():
        answer = input(f'{args.name} changes the host ({spec.summary}). Run it? [y/N] ')
        if answer.strip().lower() not in {'y', 'yes'}:
            print('homelab: not confirmed; nothing ran', file=sys.stderr)
            return 1

    async def run(core: Core) -> int:
        outcome = await core.manager.run(args.name, parse_arguments(words), actor=actor(), origin='cli')
        _print_outcome(outcome, as_json=as_json)
        return EXIT.get(outcome.state, 1)

    return with_core(run)


def _print_outcome(outcome: RunOutcome, *, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    'run_id': outcome.run_id,
                    'operation': outcome.operation,
                    'state': outcome.state.value,
                    'error': outcome.error,
                    'result': outcome.result,
                    'output': outcome.output,
                    'dropped_lines': outcome.dropped_lines,
                    'joined_run_id': outcome.joined_run_id,
                },
                indent=2,
            )
        )
        return
    if outcome.output:
        print(outcome.output)
    stream = sys.stdout if outcome.succeeded else sys.stderr
    reason = f': {outcome.error}' if outcome.error else ''
    print(f'homelab: run #{outcome.run_id} {outcome.operation} {outcome.state.value}{reason}', file=stream)


def _runs_list(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        where = HistoryFilter(operation=args.operation, actor=args.actor, state=args.state)
        page = await runs_page(before=args.before, limit=args.limit, where=where)
        if args.json:
            print(json.dumps({'runs': [_run_row(r) for r in page.rows], 'next_before': page.next_before}, indent=2))
            return 0
        for r in page.rows:
            print(
                f'{r.id:>6} {r.created_at:%Y-%m-%d %H:%M:%S} {r.state:11} {r.operation:24} {r.actor:20} '
                f'{(r.error or "")[:80]}'
            )
        if page.next_before:
            print(f'... more: --before {page.next_before}')
        return 0

    return with_core(run)


def _run_row(run: Run, *, with_output: bool = False) -> dict[str, Any]:
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


def _runs_show(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        found = await Run.get_or_none(id=args.run_id)
        if found is None:
            print(f'homelab: no run #{args.run_id}', file=sys.stderr)
            return 1
        row = _run_row(found, with_output=True)
        if args.json:
            print(json.dumps(row, indent=2, default=str))
            return 0
        for key, value in row.items():
            if key != 'output':
                print(f'{key:14} {value}')
        print('--- output' + (f' ({found.dropped_lines} earlier lines dropped)' if found.dropped_lines else ''))
        print(found.output)
        return 0

    return with_core(run)


def _audit_list(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        where = HistoryFilter(operation=args.operation, actor=args.actor, kind=args.kind, run_id=args.run_id)
        page = await audit_page(before=args.before, limit=args.limit, where=where)
        if args.json:
            print(json.dumps({'events': [_audit_row(e) for e in page.rows], 'next_before': page.next_before}, indent=2))
            return 0
        for e in page.rows:
            print(
                f'{e.id:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.kind:9} {e.operation or "-":24} run={e.run_id or "-":<6} '
                f'{e.actor:20} {json.dumps(e.detail)[:100]}'
            )
        return 0

    return with_core(run)


def _audit_row(event: AuditEvent) -> dict[str, Any]:
    return {
        'id': event.id,
        'at': event.at.isoformat(),
        'actor': event.actor,
        'origin': event.origin,
        'kind': event.kind,
        'operation': event.operation,
        'run_id': event.run_id,
        'detail': event.detail,
        'hash': event.hash,
    }


def _audit_verify(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        status = await verify_chain(anchor=core.audit.anchor)
        if status.ok:
            print(f'OK: {status.checked} audit events, chain intact')
            return 0
        if status.first_bad_id is None:  # the events fit together, but the newest are gone (now or earlier)
            print(f'TAMPERED: {status.problem}; the {status.checked} events in the table fit together')
            return 1
        print(
            f'TAMPERED: audit event #{status.first_bad_id} {status.problem} ({status.checked} events before it '
            'are intact)'
        )
        return 1

    return with_core(run)
