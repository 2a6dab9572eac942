"""`homelab token create|revoke`: API tokens for /summary, shown once, audited."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from app.cli.common import Commands, administer

if TYPE_CHECKING:
    from app.auth.accounts import Administrator


def add_commands(commands: Commands) -> None:
    """Register `token` and its actions on the top-level sub-parser."""
    token = commands.add_parser('token', help='API tokens for /summary (Authorization: Bearer ...)')
    token_commands = token.add_subparsers(title='token commands', metavar='ACTION', required=True)
    create = token_commands.add_parser('create', help='create a token; it is shown once')
    create.add_argument('name')
    create.set_defaults(handler=_create)
    revoke = token_commands.add_parser('revoke', help='revoke a token; it stops working at once')
    revoke.add_argument('name')
    revoke.set_defaults(handler=_revoke)


def _create(args: argparse.Namespace) -> int:
    async def create(admin: Administrator) -> None:
        print(await admin.create_token(args.name))
        print(
            'homelab: store it now: it is shown only this once (send it as "Authorization: Bearer <token>")',
            file=sys.stderr,
        )

    return administer(create, f'created token {args.name!r}', quiet=True)


def _revoke(args: argparse.Namespace) -> int:
    return administer(lambda admin: admin.revoke_token(args.name), f'revoked token {args.name!r}')
