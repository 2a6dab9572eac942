"""One reading of a container's counters, from the cgroup files or the engine's stats, before CPU % is worked out."""

from __future__ import annotations

from dataclasses import dataclass

# Above this a memory limit is the kernel's "no limit" (v1 writes 2^63 rounded down to a page).
_NO_LIMIT = 2**62


@dataclass(frozen=True, kw_only=True, slots=True)
class Counters:
    """What one read gives: `cpu_ns` is the CPU time used since the container started (the CPU % is the change
    between two reads over the time between them); `memory_bytes` is the engine's notion of memory used (usage
    less the inactive page cache, as `docker stats` shows it); the others are totals since the start."""

    cpu_ns: int
    memory_bytes: int
    memory_limit_bytes: int | None
    net_rx_bytes: int
    net_tx_bytes: int
    block_read_bytes: int
    block_write_bytes: int
    pids: int


def memory_used(usage: int, inactive_file: int | None) -> int:
    """Usage less the inactive page cache (what the kernel can drop at once), as the engine's CLI counts it."""
    if inactive_file is not None and inactive_file < usage:
        return usage - inactive_file
    return usage


def memory_limit(limit: int | None, host_memory: int | None) -> int | None:
    """None for no limit: the kernel's "max", or a limit at or above the host's memory (the engine reports the
    host's memory as the limit of an unlimited container)."""
    if limit is None or limit <= 0 or limit >= _NO_LIMIT:
        return None
    if host_memory is not None and limit >= host_memory:
        return None
    return limit
