"""`homelab notify test [CHANNEL]`: send a test message now to one channel or every one, and say how each went."""

from __future__ import annotations

import argparse

from app.cli.common import FAILED, OK, REFUSED, Commands, actor, command, fail, print_json, with_core
from app.system import Core
from ops.notify.test_message import send_test
from ops.store.audit import AuditUnavailable


def add_commands(commands: Commands) -> None:
    """Register `notify` and its commands on the top-level sub-parser."""
    notify = commands.add_parser('notify', help='notification channels: send a test message')
    notify_commands = notify.add_subparsers(title='notify commands', metavar='COMMAND', required=True)
    test = command(notify_commands, 'test', _test, help='send a test message now to CHANNEL (or every channel)')
    test.add_argument('channel', nargs='?', metavar='CHANNEL')


def _test(args: argparse.Namespace) -> int:
    async def run(core: Core) -> int:
        notify = core.config.notify
        if not notify.channels:
            return fail('no notification channels in the config ([notify.channels.NAME])', REFUSED)
        if args.channel is not None and args.channel not in notify.channels:
            known = ', '.join(sorted(notify.channels))
            return fail(f'no channel named {args.channel!r} in the config (channels: {known})', REFUSED)
        names = [args.channel] if args.channel is not None else sorted(notify.channels)
        try:
            outcomes = await send_test(notify, names, audit=core.audit, actor=actor(), origin='cli')
        except AuditUnavailable as err:
            return fail(f'the test was sent, but not recorded: {err}')
        if args.json:
            print_json({name: {'sent': outcome.sent, 'reason': outcome.reason} for name, outcome in outcomes.items()})
        else:
            for name, outcome in outcomes.items():
                print(f'{name}: sent' if outcome.sent else f'{name}: failed: {outcome.reason}')
        return OK if all(outcome.sent for outcome in outcomes.values()) else FAILED

    return with_core(run)
