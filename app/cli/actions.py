"""`homelab actions list|approve|reject`: the proposed actions from the host, through the same queue and audit."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.common import FAILED, OK, REFUSED, Commands, actor, command, fail, print_json, with_core
from app.system import Core, run_record
from ops.store.models import Action
from ops.world.action_states import OPEN, ActionState
from ops.world.actions import ActionError
from ops.world.event_journal import EventJournal


def add_commands(commands: Commands) -> None:
    """Register `actions` and its actions on the top-level sub-parser."""
    actions = commands.add_parser('actions', help='drift turned into proposed actions: list, approve, reject')
    action_commands = actions.add_subparsers(title='actions commands', metavar='ACTION', required=True)
    listing = command(action_commands, 'list', _list, help='pending and running actions (--all: the history too)')
    listing.add_argument('--all', action='store_true', help='also the decided ones, newest first')
    listing.add_argument('--limit', type=int, default=50)
    approve = command(action_commands, 'approve', _approve, help='approve one pending action and wait for its run')
    approve.add_argument('action_id', type=int, metavar='ID')
    reject = command(action_commands, 'reject', _reject, help='reject one pending action (it is not proposed again)')
    reject.add_argument('action_id', type=int, metavar='ID')
    reject.add_argument('--reason', default='', help='why, for the audit trail')


def action_row(action: Action) -> dict[str, Any]:
    """One action as the CLI prints it (and tests read it)."""
    return {
        'id': action.id,
        'state': action.state,
        'stack': action.stack,
        'kind': action.kind,
        'service': action.service,
        'container': action.container,
        'title': action.title,
        'detail': action.detail,
        'operation': action.operation,
        'params': action.params,
        'plan': action.plan,
        'created_at': action.created_at.isoformat(),
        'decided_by': action.decided_by,
        'decided_at': action.decided_at.isoformat() if action.decided_at else None,
        'run_id': action.run_id,
        'error': action.error,
    }


def _list(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        query = Action.all() if args.all else Action.filter(state__in=OPEN)
        rows = await query.order_by('-id').limit(max(1, min(args.limit, 1000)))
        for_window = {action.id for action in await core.auto_approval.waiting()}
        if args.json:
            print_json([action_row(a) | {'waits_for_window': a.id in for_window} for a in rows])
            return OK
        if not rows:
            print('no actions' if args.all else 'no pending actions: the stacks match their files')
        following = core.windows.next_opening() if for_window else None
        for a in rows:
            print(f'{a.id:>5} {a.created_at:%Y-%m-%d %H:%M:%S} {a.state:10} {a.stack:16} {a.kind:8} {a.title}')
            if a.detail:
                print(f'      {a.detail}')
            if a.id in for_window:
                opens = f' {following.window} (opens {following.opens_at:%a %Y-%m-%d %H:%M})' if following else ''
                print(f'      waits for the maintenance window{opens}: its stack auto-approves it then')
        return OK

    return with_core(run)


def _approve(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        journal = _journal(core)
        try:
            try:
                await core.actions.approve(args.action_id, actor=actor(), origin='cli')
            except ActionError as err:
                return fail(str(err), REFUSED)
            action = await core.actions.wait(args.action_id)
        finally:
            await journal.close()
        _print(action, as_json=args.json)
        return OK if action.state is ActionState.DONE else FAILED

    return with_core(run)


def _reject(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        journal = _journal(core)
        try:
            action = await core.actions.reject(args.action_id, actor=actor(), origin='cli', reason=args.reason)
        except ActionError as err:
            return fail(str(err), REFUSED)
        finally:
            await journal.close()
        _print(action, as_json=args.json)
        return OK

    return with_core(run)


def _journal(core: Core) -> EventJournal:
    """The CLI's decisions and runs go into the same event journal as the server's (appends of whole lines)."""
    journal = EventJournal(core.settings.data_dir / 'events')
    core.manager.run_changed.subscribe(lambda update: journal.append(run_record(update)))
    core.actions.changed.subscribe(lambda update: journal.append(update.as_record()))
    return journal


def _print(action: Action, *, as_json: bool) -> None:
    if as_json:
        print_json(action_row(action))
        return
    run = f' (run #{action.run_id})' if action.run_id else ''
    print(f'action #{action.id} {action.state}{run}: {action.title}')
    if action.error:
        print(f'  {action.error}')
