"""The `homelab` command: serve the console and manage users from the host."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib.util
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from app.cli_actions import add_commands as add_action_commands
from app.cli_backup import add_commands as add_backup_commands
from app.cli_ops import add_commands
from app.cli_world import add_commands as add_world_commands
from app.config_problems import problem_line
from app.server_log import configure_server_log
from app.settings import Settings, prepare_data_dir
from ops.config import ConfigError
from ops.store.db import close_store, open_store

if TYPE_CHECKING:
    from app.auth.accounts import Administrator


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, 'handler', None):
        parser.print_help()
        return 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (ConfigError, ValidationError, SettingsError) as err:
        # A bad config file or HOMELAB_* value: one line naming the key and the rule, not a traceback.
        if (line := problem_line(err)) is None:
            raise
        print(line, file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='homelab', description='Homelab Control Plane: the console and its tools.')
    commands = parser.add_subparsers(title='commands', metavar='COMMAND')

    serve = commands.add_parser('serve', help='start the web console (or a native window with --native)')
    serve.add_argument('--native', action='store_true', help='open a desktop window (needs pywebview with Qt)')
    serve.add_argument('--host', help='address to listen on (default 127.0.0.1, or HOMELAB_HOST)')
    serve.add_argument('--port', type=int, help='port to listen on (default 8080, or HOMELAB_PORT)')
    serve.set_defaults(handler=_serve)

    user = commands.add_parser('user', help='manage who may sign in')
    user_commands = user.add_subparsers(title='user commands', metavar='ACTION', required=True)
    for name, helptext, handler in (
        ('create', 'create a user', _user_create),
        ('set-password', "change a user's password", _user_set_password),
    ):
        sub = user_commands.add_parser(name, help=helptext)
        sub.add_argument('username')
        sub.add_argument('--password-stdin', action='store_true', help='read the password from standard input')
        sub.set_defaults(handler=handler)
    token = commands.add_parser('token', help='API tokens for /summary (Authorization: Bearer ...)')
    token_commands = token.add_subparsers(title='token commands', metavar='ACTION', required=True)
    create = token_commands.add_parser('create', help='create a token; it is shown once')
    create.add_argument('name')
    create.set_defaults(handler=_token_create)
    revoke = token_commands.add_parser('revoke', help='revoke a token; it stops working at once')
    revoke.add_argument('name')
    revoke.set_defaults(handler=_token_revoke)
    totp = user_commands.add_parser('totp', help='turn on TOTP two-factor sign-in (shows the secret once)')
    totp.add_argument('username')
    totp.add_argument('--remove', action='store_true', help='turn two-factor sign-in off again')
    totp.set_defaults(handler=_user_totp)
    disable = user_commands.add_parser('disable', help='stop a user from signing in and end their sessions')
    disable.add_argument('username')
    disable.set_defaults(handler=_user_disable)
    add_commands(commands)
    add_world_commands(commands)
    add_action_commands(commands)
    add_backup_commands(commands)
    return parser


def _serve(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.host:
        overrides['host'] = args.host
    if args.port:
        overrides['port'] = args.port
    settings = Settings(**overrides)
    settings.load_config()  # a broken config stops here, before the UI's imports and their warnings
    if args.native and importlib.util.find_spec('webview') is None:
        print('homelab: --native needs pywebview with Qt: .venv/bin/pip install "pywebview[qt]"', file=sys.stderr)
        return 2
    from app.main import serve

    configure_server_log()
    serve(settings, native=args.native)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip('\r\n')
    first = getpass.getpass('Password: ')
    if getpass.getpass('Repeat password: ') != first:
        raise SystemExit('homelab: the passwords differ; nothing changed')
    return first


def _user_create(args: argparse.Namespace) -> int:
    password = _read_password(args)
    return _with_store(lambda admin: admin.create_user(args.username, password), f'created user {args.username!r}')


def _user_set_password(args: argparse.Namespace) -> int:
    password = _read_password(args)
    return _with_store(
        lambda admin: admin.set_password(args.username, password),
        f'changed the password of {args.username!r} and ended their sessions',
    )


def _user_disable(args: argparse.Namespace) -> int:
    return _with_store(
        lambda admin: admin.disable(args.username), f'disabled {args.username!r} and ended their sessions'
    )


def _user_totp(args: argparse.Namespace) -> int:
    if args.remove:
        return _with_store(
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

    return _with_store(change, f'two-factor sign-in is on for {args.username!r}')


def _token_create(args: argparse.Namespace) -> int:
    async def create(admin: Administrator) -> None:
        print(await admin.create_token(args.name))
        print(
            'homelab: store it now: it is shown only this once (send it as "Authorization: Bearer <token>")',
            file=sys.stderr,
        )

    return _with_store(create, f'created token {args.name!r}', quiet=True)


def _token_revoke(args: argparse.Namespace) -> int:
    return _with_store(lambda admin: admin.revoke_token(args.name), f'revoked token {args.name!r}')


def _with_store(action: Callable[[Administrator], Awaitable[object]], success: str, *, quiet: bool = False) -> int:
    """Run one account change as `cli:<OS user>`; it happens together with its audit event, or not at all."""
    from app.auth.accounts import Administrator
    from app.auth.tokens import TokenError
    from app.auth.users import UserError
    from app.cli_ops import actor
    from ops.store.audit import AuditLog, AuditUnavailable
    from ops.store.chain_head import HeadAnchor

    settings = Settings()

    async def run() -> int:
        prepare_data_dir(settings.data_dir)
        await open_store(settings.database_path)
        admin = Administrator(actor=actor(), audit=AuditLog(HeadAnchor(settings.data_dir)))
        try:
            await action(admin)
        except (UserError, TokenError) as err:
            print(f'homelab: {err}', file=sys.stderr)
            return 1
        except AuditUnavailable as err:
            print(f'homelab: refused, nothing changed: {err}', file=sys.stderr)
            return 1
        finally:
            await close_store()
        print(f'homelab: {success}', file=sys.stderr if quiet else sys.stdout)
        return 0

    return asyncio.run(run())


if __name__ == '__main__':
    raise SystemExit(main())
