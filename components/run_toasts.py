"""A toast for every run that ends while the person is elsewhere in the console."""

from __future__ import annotations

from ops.manager import Manager


def run_toasts(manager: Manager) -> None:
    """Subscribe this page to run endings (filled in with the Operations work)."""
    return None
