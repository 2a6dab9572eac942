"""What the engine says about where a container's counters live: its cgroup layout and a container's init process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class CgroupInfo:
    """The engine's cgroup version ('1' or '2') and driver ('cgroupfs' or 'systemd'), and the host's memory."""

    version: str
    driver: str
    memory_total: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ContainerProcess:
    """A running container's init process as the host numbers it (0 when not running), and its network mode."""

    pid: int
    network_mode: str

    @property
    def own_network(self) -> bool:
        """Whether its network counters are its own (not the host's: a host-network container has none)."""
        return self.network_mode != 'host'


def cgroup_info_from(info: dict[str, Any]) -> CgroupInfo:
    """From the engine's `info`: an engine too old to say its cgroup version uses version 1."""
    total = info.get('MemTotal')
    return CgroupInfo(
        version=str(info.get('CgroupVersion') or '1'),
        driver=str(info.get('CgroupDriver') or 'cgroupfs'),
        memory_total=int(total) if isinstance(total, int) and total > 0 else None,
    )


def process_from_inspect(data: dict[str, Any]) -> ContainerProcess:
    """From `GET /containers/{id}/json`."""
    state = data.get('State') or {}
    host_config = data.get('HostConfig') or {}
    return ContainerProcess(pid=int(state.get('Pid') or 0), network_mode=str(host_config.get('NetworkMode') or ''))
