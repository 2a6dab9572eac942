"""`homelab world rebuild`: world.json and the observer checkpoint again from the event journal and the engine."""

from __future__ import annotations

import argparse
import asyncio

from app.cli.common import OK, Commands, command, print_json
from app.settings import Settings, prepare_data_dir
from ops.docker.engine import Engine
from ops.world.rebuild import RebuildResult, rebuild_world


def add_commands(commands: Commands) -> None:
    """Register `world` and its actions on the top-level sub-parser."""
    world = commands.add_parser('world', help='the observed world: world.json, the event journal, the checkpoint')
    world_commands = world.add_subparsers(title='world commands', metavar='ACTION', required=True)
    command(
        world_commands,
        'rebuild',
        _rebuild,
        help='rebuild world.json and the observer checkpoint from the event journal and the engine (works offline)',
    )


def _rebuild(args: argparse.Namespace) -> int:
    settings = Settings()
    prepare_data_dir(settings.data_dir)
    engine = Engine(settings.docker_host, timeout=15)
    try:
        result = asyncio.run(rebuild_world(settings.data_dir, engine))
    finally:
        engine.reset()
    if args.json:
        print_json(result.as_dict(), sort_keys=True)
    else:
        print(_summary(result))
    return OK


def _summary(result: RebuildResult) -> str:
    lines = [
        f'homelab: read {result.events_read} journaled engine event(s) ({result.records_read} record(s)'
        + (f', {result.lines_skipped} torn line(s) skipped)' if result.lines_skipped else ')'),
    ]
    if result.engine_reachable:
        lines.append(f'engine reachable: caught up {result.events_caught_up} event(s), reconciled with a full listing')
        if result.gap:
            lines.append('warning: the engine no longer holds every event since the journal ended (a gap is journaled)')
    else:
        lines.append(
            f'engine NOT reachable ({result.engine_error or "unknown error"}): '
            'world.json is the last known world from the journal only (source: journal)'
        )
    lines.append(f'world: {result.containers} container(s) in {result.stacks} stack(s) -> {result.world_path}')
    if result.checkpoint_time_nano is not None:
        lines.append(f'checkpoint: {result.checkpoint_time_nano}')
    else:
        lines.append('checkpoint: none written (no engine event in the journal and no engine)')
    return '\n'.join(lines)
