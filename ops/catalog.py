"""Importing this module registers every operation of the catalog (the allowlist), in one explicit place."""

from __future__ import annotations

from ops.registry import CATALOG, Registry

# One import per operation module; each registers itself with @operation at import.
# (Filled in as the operations land; see DESIGN.md's catalog.)


def catalog() -> Registry:
    return CATALOG
