"""`homelab serve`: the web console (or a native window)."""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from app.cli.common import OK, REFUSED, Commands, fail
from app.server_log import configure_server_log
from app.settings import Settings


def add_commands(commands: Commands) -> None:
    """Register `serve` on the top-level sub-parser."""
    serve = commands.add_parser('serve', help='start the web console (or a native window with --native)')
    serve.add_argument('--native', action='store_true', help='open a desktop window (needs pywebview with Qt)')
    serve.add_argument('--host', help='address to listen on (default 127.0.0.1, or HOMELAB_HOST)')
    serve.add_argument('--port', type=int, help='port to listen on (default 8080, or HOMELAB_PORT)')
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.host:
        overrides['host'] = args.host
    if args.port:
        overrides['port'] = args.port
    settings = Settings(**overrides)
    settings.load_config()  # a broken config stops here, before the UI's imports and their warnings
    if args.native and importlib.util.find_spec('webview') is None:
        return fail('--native needs pywebview with Qt: .venv/bin/pip install "pywebview[qt]"', REFUSED)
    from app.main import serve

    configure_server_log()
    serve(settings, native=args.native)
    return OK
