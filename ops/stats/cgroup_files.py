"""Reading a container's counters straight from the kernel: its cgroup files (v1 or v2) and its network's /proc."""

from __future__ import annotations

import re
from pathlib import Path

from ops.docker.cgroups import CgroupInfo, ContainerProcess
from ops.stats.counters import Counters, memory_limit, memory_used

_FULL_ID = re.compile(r'[0-9a-f]{64}')


class CgroupFiles:
    """Where the engine's containers' cgroups are (by its cgroup version and driver) under `host_root`, and the
    reading of one container's files. Blocking: call it off the event loop. A file missing or unreadable raises
    OSError, a file of unexpected shape ValueError."""

    def __init__(self, info: CgroupInfo, host_root: Path = Path('/')) -> None:
        self.info = info
        self.host_root = host_root
        self.root = host_root / 'sys' / 'fs' / 'cgroup'

    def readable(self) -> bool:
        """Whether the cgroup tree and the host's /proc are there to read at all (a remote engine's are not; the
        console in a container needs both mounted under its host root)."""
        first = self.root / ('cpuacct' if self.info.version == '1' else 'cgroup.controllers')
        return first.exists() and (self.host_root / 'proc').is_dir()

    def directory(self, container_id: str, controller: str = '') -> Path:
        """The container's cgroup directory (of one controller in v1). Only a full container id is a path part."""
        if not _FULL_ID.fullmatch(container_id):
            raise ValueError(f'not a container id: {container_id[:80]!r}')
        leaf = (
            f'system.slice/docker-{container_id}.scope' if self.info.driver == 'systemd' else f'docker/{container_id}'
        )
        return self.root / controller / leaf if self.info.version == '1' else self.root / leaf

    def read(self, container_id: str, process: ContainerProcess) -> Counters:
        """All counters of one running container."""
        rx, tx = (0, 0)
        if process.own_network:
            rx, tx = network_totals(_text(self.host_root / 'proc' / str(process.pid) / 'net' / 'dev'))
        if self.info.version == '1':
            return self._read_v1(container_id, rx, tx)
        return self._read_v2(container_id, rx, tx)

    def _read_v1(self, container_id: str, rx: int, tx: int) -> Counters:
        memory = self.directory(container_id, 'memory')
        stat = keyed_values(_text(memory / 'memory.stat'))
        inactive = stat.get('total_inactive_file', stat.get('inactive_file'))
        block = self.directory(container_id, 'blkio')
        # The CFQ/BFQ scheduler's file when it has entries (what runc reports first), else the throttle layer's.
        read, write = v1_block_totals(_text_or_empty(block / 'blkio.io_service_bytes_recursive'))
        if (read, write) == (0, 0):
            read, write = v1_block_totals(_text(block / 'blkio.throttle.io_service_bytes_recursive'))
        return Counters(
            cpu_ns=int(_text(self.directory(container_id, 'cpuacct') / 'cpuacct.usage')),
            memory_bytes=memory_used(int(_text(memory / 'memory.usage_in_bytes')), inactive),
            memory_limit_bytes=memory_limit(int(_text(memory / 'memory.limit_in_bytes')), self.info.memory_total),
            net_rx_bytes=rx,
            net_tx_bytes=tx,
            block_read_bytes=read,
            block_write_bytes=write,
            pids=_number_or_zero(self.directory(container_id, 'pids') / 'pids.current'),
        )

    def _read_v2(self, container_id: str, rx: int, tx: int) -> Counters:
        group = self.directory(container_id)
        stat = keyed_values(_text(group / 'memory.stat'))
        read, write = v2_block_totals(_text_or_empty(group / 'io.stat'))
        return Counters(
            cpu_ns=keyed_values(_text(group / 'cpu.stat'))['usage_usec'] * 1000,
            memory_bytes=memory_used(int(_text(group / 'memory.current')), stat.get('inactive_file')),
            memory_limit_bytes=memory_limit(limit_value(_text(group / 'memory.max')), self.info.memory_total),
            net_rx_bytes=rx,
            net_tx_bytes=tx,
            block_read_bytes=read,
            block_write_bytes=write,
            pids=_number_or_zero(group / 'pids.current'),
        )


def keyed_values(text: str) -> dict[str, int]:
    """A flat keyed file (memory.stat, cpu.stat): one `name value` per line."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(' ')
        if value.strip().lstrip('-').isdigit():
            values[name] = int(value)
    return values


def limit_value(text: str) -> int | None:
    """memory.max: a number of bytes, or `max` for none."""
    value = text.strip()
    return None if value == 'max' else int(value)


def v1_block_totals(text: str) -> tuple[int, int]:
    """Bytes read and written over all devices, from blkio's `MAJ:MIN Read N` / `MAJ:MIN Write N` lines."""
    read = write = 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            if parts[1] == 'Read':
                read += int(parts[2])
            elif parts[1] == 'Write':
                write += int(parts[2])
    return read, write


def v2_block_totals(text: str) -> tuple[int, int]:
    """Bytes read and written over all devices, from io.stat's `MAJ:MIN rbytes=N wbytes=N ...` lines."""
    read = write = 0
    for line in text.splitlines():
        for field in line.split()[1:]:
            name, _, value = field.partition('=')
            if value.isdigit():
                if name == 'rbytes':
                    read += int(value)
                elif name == 'wbytes':
                    write += int(value)
    return read, write


def network_totals(text: str) -> tuple[int, int]:
    """Bytes received and sent over every interface but loopback, from /proc/<pid>/net/dev."""
    rx = tx = 0
    for line in text.splitlines()[2:]:
        name, _, counters = line.partition(':')
        fields = counters.split()
        if name.strip() == 'lo' or len(fields) < 9:
            continue
        rx += int(fields[0])
        tx += int(fields[8])
    return rx, tx


def _text(path: Path) -> str:
    with open(path, encoding='ascii') as file:
        return file.read()


def _text_or_empty(path: Path) -> str:
    try:
        return _text(path)
    except FileNotFoundError:
        return ''


def _number_or_zero(path: Path) -> int:
    """A one-number file of a controller that may not be mounted (pids): 0 without it."""
    text = _text_or_empty(path).strip()
    return int(text) if text.isdigit() else 0
