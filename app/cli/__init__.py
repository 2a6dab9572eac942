"""The `homelab` command: serve the console and manage it from the host, one module per noun."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from pydantic import ValidationError
from pydantic_settings import SettingsError

from app.cli import actions, audit, backup, notify, ops, runs, serve, token, user, world
from app.cli.common import REFUSED
from app.config_problems import problem_line
from ops.config import ConfigError

NOUNS = (serve, user, token, ops, runs, audit, world, actions, backup, notify)
"""In the order `homelab --help` lists their commands."""


def main(argv: list[str] | None = None) -> int:
    """Run one `homelab` command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, 'handler', None):
        parser.print_help()
        return REFUSED
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (ConfigError, ValidationError, SettingsError) as err:
        # A bad config file or HOMELAB_* value: one line naming the key and the rule, not a traceback.
        if (line := problem_line(err)) is None:
            raise
        print(line, file=sys.stderr)
        return REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='homelab', description='Homelab Control Plane: the console and its tools.')
    commands = parser.add_subparsers(title='commands', metavar='COMMAND')
    for noun in NOUNS:
        noun.add_commands(commands)
    return parser
