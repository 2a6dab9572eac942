"""Importing this module registers every operation of the catalog (the allowlist), in one explicit place."""

from __future__ import annotations

# One import per operation module; each registers itself with @operation at import time. Adding an operation: its
# own module (Params, check, handler, a Description and a Supervision preset), one line here, and its row in
# README.md's operations table (tests/unit/test_catalog.py compares the two).
from ops.docker import (  # noqa: F401
    docker_health,
    docker_inspect,
    docker_logs,
    docker_prune,
    docker_pull,
    docker_pull_all,
    docker_restart,
    docker_start,
    docker_status,
    docker_stop,
    docker_up_all,
    stack_orphan_remove,
    stack_service_up,
    volume_remove,
)
from ops.host import (  # noqa: F401
    backup_run,
    backup_status,
    host_disk_report,
    host_journal,
    host_network_probe,
    host_reboot,
    host_reboot_required,
    host_unattended_upgrades,
)
from ops.maintenance import stack_pin_release, stack_rollback  # noqa: F401
from ops.registry import CATALOG, Registry


def catalog() -> Registry:
    """The full allowlist (README.md's operations table; tests/unit/test_catalog.py keeps the two in step)."""
    return CATALOG
