"""`homelab world rebuild` and `homelab actions list|approve|reject`."""

from __future__ import annotations

from typing import Any


def add_commands(commands: Any) -> None:
    """Register the world and actions commands on the top-level sub-parser."""
    del commands
