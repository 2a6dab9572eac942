"""`homelab audit list|verify`: the tamper-evident audit trail and a check of its hash chain."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli.common import FAILED, OK, Commands, command, history_options, print_page, with_core
from app.system import Core
from ops.store.chain_check import verify_chain
from ops.store.models import AuditEvent
from ops.store.queries import HistoryFilter, audit_page


def add_commands(commands: Commands) -> None:
    """Register `audit` and its actions on the top-level sub-parser."""
    audit = commands.add_parser('audit', help='the tamper-evident audit trail')
    audit_commands = audit.add_subparsers(title='audit commands', metavar='ACTION', required=True)
    audit_list = command(audit_commands, 'list', _list, help='newest first', json=False)
    history_options(audit_list)
    audit_list.add_argument('--kind')
    audit_list.add_argument('--run', type=int, dest='run_id')
    command(audit_commands, 'verify', _verify, help='check the hash chain; name the first bad event', json=False)


def _list(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        where = HistoryFilter(operation=args.operation, actor=args.actor, kind=args.kind, run_id=args.run_id)
        page = await audit_page(before=args.before, limit=args.limit, where=where)
        return print_page(page, 'events', as_json=args.json, row=_row, line=_line)

    return with_core(run)


def _line(e: AuditEvent) -> str:
    return (
        f'{e.id:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.kind:9} {e.operation or "-":24} run={e.run_id or "-":<6} '
        f'{e.actor:20} {json.dumps(e.detail)[:100]}'
    )


def _verify(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        status = await verify_chain(anchor=core.audit.anchor)
        if status.ok:
            print(f'OK: {status.checked} audit events, chain intact')
            return OK
        if status.first_bad_id is None:  # the events fit together, but the newest are gone (now or earlier)
            print(f'TAMPERED: {status.problem}; the {status.checked} events in the table fit together')
            return FAILED
        print(
            f'TAMPERED: audit event #{status.first_bad_id} {status.problem} ({status.checked} events before it '
            'are intact)'
        )
        return FAILED

    return with_core(run)


def _row(event: AuditEvent) -> dict[str, Any]:
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
