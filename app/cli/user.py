"""`homelab user create|set-password|totp|disable`: who may sign in, changed from the host and audited."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from app.cli.common import Commands, administer

if TYPE_CHECKING:
    from app.auth.accounts import Administrator


def add_commands(commands: Commands) -> None:
    """Register `user` and its actions on the top-level sub-parser."""
    user = commands.add_parser('user', help='manage who may sign in')
    user_commands = user.add_subparsers(title='user commands', metavar='ACTION', required=True)
    for name, helptext, handler in (
        ('create', 'create a user', _create),
        ('set-password', "change a user's password", _set_password),
    ):
        sub = user_commands.add_parser(name, help=helptext)
        sub.add_argument('username')
        sub.add_argument('--password-stdin', action='store_true', help='read the password from standard input')
        sub.set_defaults(handler=handler)
    totp = user_commands.add_parser('totp', help='turn on TOTP two-factor sign-in (shows the secret once)')
    totp.add_argument('username')
    totp.add_argument('--remove', action='store_true', help='turn two-factor sign-in off again')
    totp.set_defaults(handler=_totp)
    disable = user_commands.add_parser('disable', help='stop a user from signing in and end their sessions')
    disable.add_argument('username')
    disable.set_defaults(handler=_disable)


def _create(args: argparse.Namespace) -> int:
    password = _read_password(args)
    return administer(lambda admin: admin.create_user(args.username, password), f'created user {args.username!r}')


def _set_password(args: argparse.Namespace) -> int:
    password = _read_password(args)
    return administer(
        lambda admin: admin.set_password(args.username, password),
        f'changed the password of {args.username!r} and ended their sessions',
    )


def _disable(args: argparse.Namespace) -> int:
    return administer(
        lambda admin: admin.disable(args.username), f'disabled {args.username!r} and ended their sessions'
    )


def _totp(args: argparse.Namespace) -> int:
    if args.remove:
        return administer(
            lambda admin: admin.remove_totp(args.username), f'removed two-factor sign-in for {args.username!r}'
        )

    async def change(admin: Administrator) -> None:
        enrolment = await admin.enrol_totp(args.username)
        # Shown only once the change (and its audit event) is committed.
        print('Add this to your authenticator app (or type the secret in by hand):')
        print(f'  {enrolment.uri}')
        print(f'  secret: {enrolment.secret}')
        print('Recovery codes (each works once; keep them somewhere safe, they are not shown again):')
        for code in enrolment.recovery_codes:
            print(f'  {code}')

    return administer(change, f'two-factor sign-in is on for {args.username!r}')


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip('\r\n')
    first = getpass.getpass('Password: ')
    if getpass.getpass('Repeat password: ') != first:
        raise SystemExit('homelab: the passwords differ; nothing changed')
    return first
