"""The console's override file of a stack ($DATA/overrides/<stack>.yml): each pinned service's image by digest."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from ops.world.world_file import atomic_write

OVERRIDES_DIR = 'overrides'
_HEADER = (
    '# Written by the homelab console, never by hand: services pinned by a rollback to an earlier image.\n'
    '# Compose reads it after the stack files. Release a pin on the Maintenance page to go back to the files.\n'
)


def render_override(images: Mapping[str, str]) -> str:
    """The override's text for service -> image (values quoted as JSON strings, which YAML reads as they are)."""
    lines = [_HEADER.rstrip('\n'), 'services:']
    for service, image in sorted(images.items()):
        lines += [f'  {json.dumps(service)}:', f'    image: {json.dumps(image)}']
    return '\n'.join(lines) + '\n'


def write_override(path: Path, images: Mapping[str, str]) -> bool:
    """Write the override (all at once, 0600 in a 0700 directory), or remove it when nothing is pinned; whether a
    file is there now."""
    if not images:
        path.unlink(missing_ok=True)
        return False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if path.is_symlink():  # never written through: the console's file is its own
        path.unlink()
    atomic_write(path, render_override(images).encode())
    return True
