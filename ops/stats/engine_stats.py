"""A container's counters from one answer of the engine's stats API (the reader for a remote engine)."""

from __future__ import annotations

from typing import Any

from ops.stats.counters import Counters, memory_limit, memory_used


def counters_from_stats(data: dict[str, Any], host_memory: int | None = None) -> Counters | None:
    """The counters of `GET /containers/{id}/stats` (cgroup v1 or v2 alike), or None when the answer has none (the
    container stopped meanwhile)."""
    cpu = ((data.get('cpu_stats') or {}).get('cpu_usage') or {}).get('total_usage')
    memory = data.get('memory_stats') or {}
    if not isinstance(cpu, int) or 'usage' not in memory:
        return None
    stat = memory.get('stats') or {}
    inactive = stat.get('total_inactive_file', stat.get('inactive_file'))  # v1 has the total_ names, v2 not
    networks = (data.get('networks') or {}).values()
    read = write = 0
    for entry in (data.get('blkio_stats') or {}).get('io_service_bytes_recursive') or []:
        op = str(entry.get('op') or '').lower()
        if op == 'read':
            read += int(entry.get('value') or 0)
        elif op == 'write':
            write += int(entry.get('value') or 0)
    return Counters(
        cpu_ns=cpu,
        memory_bytes=memory_used(int(memory['usage']), int(inactive) if inactive is not None else None),
        memory_limit_bytes=memory_limit(memory.get('limit'), host_memory),
        net_rx_bytes=sum(int(n.get('rx_bytes') or 0) for n in networks),
        net_tx_bytes=sum(int(n.get('tx_bytes') or 0) for n in networks),
        block_read_bytes=read,
        block_write_bytes=write,
        pids=int((data.get('pids_stats') or {}).get('current') or 0),
    )
