"""The stats readers on sample contents: cgroup v1 and v2 files, /proc net/dev, the engine's stats answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.config import ConfigError, load_config
from ops.docker.cgroups import CgroupInfo, ContainerProcess, cgroup_info_from, process_from_inspect
from ops.stats.cgroup_files import CgroupFiles, keyed_values, network_totals, v1_block_totals, v2_block_totals
from ops.stats.counters import Counters, memory_limit
from ops.stats.engine_stats import counters_from_stats

CID = 'c0ffee' * 10 + 'abcd'
GIB = 2**30
HOST_MEMORY = 24 * GIB

NET_DEV = """Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier
    lo:   67600     780    0    0    0     0          0         0    67600     780    0    0    0     0       0     0
  eth0:    8660      11    0    0    0     0          0         0     1200       9    0    0    0     0       0     0
  eth1:     100       1    0    0    0     0          0         0       34       1    0    0    0     0       0     0
"""

V1_MEMORY_STAT = """cache 4096
rss 102400
inactive_file 8192
active_file 4096
total_cache 70000000
total_rss 102400
total_inactive_file 12288
total_active_file 4096
hierarchical_memory_limit 9223372036854771712
"""

V1_BLKIO = """8:0 Read 4096
8:0 Write 8192
8:0 Sync 12288
8:0 Async 0
8:0 Discard 0
8:0 Total 12288
8:16 Read 100
8:16 Write 0
8:16 Total 100
Total 12388
"""

V2_MEMORY_STAT = """anon 1048576
file 70000000
kernel_stack 16384
inactive_anon 0
active_anon 1048576
inactive_file 20480
active_file 4096
"""

V2_CPU_STAT = """usage_usec 2500000
user_usec 2000000
system_usec 500000
nr_periods 0
"""

V2_IO_STAT = """259:0 rbytes=4096 wbytes=12288 rios=1 wios=3 dbytes=0 dios=0
8:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def v1_tree(root: Path, leaf: str) -> None:
    cgroup = root / 'sys' / 'fs' / 'cgroup'
    write(cgroup / 'cpuacct' / leaf / 'cpuacct.usage', '910718440\n')
    write(cgroup / 'memory' / leaf / 'memory.usage_in_bytes', '471040\n')
    write(cgroup / 'memory' / leaf / 'memory.limit_in_bytes', '9223372036854771712\n')
    write(cgroup / 'memory' / leaf / 'memory.stat', V1_MEMORY_STAT)
    write(cgroup / 'blkio' / leaf / 'blkio.throttle.io_service_bytes_recursive', V1_BLKIO)
    write(cgroup / 'pids' / leaf / 'pids.current', '2\n')


def v2_tree(root: Path, leaf: str, memory_max: str) -> None:
    group = root / 'sys' / 'fs' / 'cgroup' / leaf
    write(root / 'sys' / 'fs' / 'cgroup' / 'cgroup.controllers', 'cpu io memory pids\n')
    write(group / 'cpu.stat', V2_CPU_STAT)
    write(group / 'memory.current', '1200000\n')
    write(group / 'memory.max', memory_max)
    write(group / 'memory.stat', V2_MEMORY_STAT)
    write(group / 'io.stat', V2_IO_STAT)
    write(group / 'pids.current', '7\n')


def proc_net(root: Path, pid: int) -> None:
    write(root / 'proc' / str(pid) / 'net' / 'dev', NET_DEV)


def test_cgroup_v1_with_cgroupfs_reads_cpu_memory_less_inactive_cache_block_io_pids_and_network(tmp_path: Path) -> None:
    v1_tree(tmp_path, f'docker/{CID}')
    proc_net(tmp_path, 4242)
    files = CgroupFiles(CgroupInfo(version='1', driver='cgroupfs', memory_total=HOST_MEMORY), tmp_path)
    assert files.readable()
    assert files.read(CID, ContainerProcess(pid=4242, network_mode='bridge')) == Counters(
        cpu_ns=910718440,
        memory_bytes=471040 - 12288,  # the hierarchy's inactive file cache, not the cgroup's own
        memory_limit_bytes=None,
        net_rx_bytes=8660 + 100,  # loopback left out
        net_tx_bytes=1200 + 34,
        block_read_bytes=4096 + 100,
        block_write_bytes=8192,
        pids=2,
    )


def test_cgroup_v1_prefers_the_io_schedulers_block_counters_when_it_has_some(tmp_path: Path) -> None:
    v1_tree(tmp_path, f'docker/{CID}')
    proc_net(tmp_path, 7)
    write(tmp_path / f'sys/fs/cgroup/blkio/docker/{CID}/blkio.io_service_bytes_recursive', '8:0 Read 1\n8:0 Write 2\n')
    counters = CgroupFiles(CgroupInfo(version='1', driver='cgroupfs', memory_total=None), tmp_path).read(
        CID, ContainerProcess(pid=7, network_mode='bridge')
    )
    assert (counters.block_read_bytes, counters.block_write_bytes) == (1, 2)


def test_cgroup_v2_with_systemd_reads_its_scope_and_a_host_network_container_has_no_network_counters(
    tmp_path: Path,
) -> None:
    v2_tree(tmp_path, f'system.slice/docker-{CID}.scope', '536870912\n')
    (tmp_path / 'proc').mkdir()
    files = CgroupFiles(CgroupInfo(version='2', driver='systemd', memory_total=HOST_MEMORY), tmp_path)
    assert files.readable()
    # No /proc under this root: a host-network container's counters would be the host's, so none are read.
    assert files.read(CID, ContainerProcess(pid=99, network_mode='host')) == Counters(
        cpu_ns=2_500_000_000,
        memory_bytes=1200000 - 20480,
        memory_limit_bytes=512 * 2**20,
        net_rx_bytes=0,
        net_tx_bytes=0,
        block_read_bytes=4096 + 100,
        block_write_bytes=12288,
        pids=7,
    )


def test_cgroup_v2_with_cgroupfs_and_no_limit(tmp_path: Path) -> None:
    v2_tree(tmp_path, f'docker/{CID}', 'max\n')
    proc_net(tmp_path, 5)
    counters = CgroupFiles(CgroupInfo(version='2', driver='cgroupfs', memory_total=HOST_MEMORY), tmp_path).read(
        CID, ContainerProcess(pid=5, network_mode='bridge')
    )
    assert counters.memory_limit_bytes is None
    assert (counters.net_rx_bytes, counters.net_tx_bytes) == (8760, 1234)


def test_missing_files_raise_so_the_collector_reads_that_container_through_the_engine(tmp_path: Path) -> None:
    files = CgroupFiles(CgroupInfo(version='1', driver='cgroupfs', memory_total=None), tmp_path)
    assert not files.readable()  # no cgroup tree under this root (a remote engine, or nothing mounted)
    v1_tree(tmp_path, f'docker/{CID}')
    assert not files.readable()  # no /proc under it: the network counters could not be read
    (tmp_path / 'proc').mkdir()
    assert files.readable()
    with pytest.raises(OSError):  # its init process is not in this /proc
        files.read(CID, ContainerProcess(pid=123, network_mode='bridge'))
    with pytest.raises(OSError):  # another container's cgroup
        files.read('ab' * 32, ContainerProcess(pid=123, network_mode='host'))


def test_the_small_parsers() -> None:
    assert keyed_values('usage_usec 10\nbad line\nneg -3\n') == {'usage_usec': 10, 'neg': -3}
    assert v1_block_totals(V1_BLKIO) == (4196, 8192)
    assert v1_block_totals('Total 0\n') == (0, 0)
    assert v2_block_totals(V2_IO_STAT) == (4196, 12288)
    assert network_totals(NET_DEV) == (8760, 1234)


def test_a_limit_at_or_above_the_hosts_memory_or_the_kernels_maximum_is_no_limit() -> None:
    assert memory_limit(9223372036854771712, None) is None
    assert memory_limit(HOST_MEMORY, HOST_MEMORY) is None
    assert memory_limit(GIB, HOST_MEMORY) == GIB
    assert memory_limit(None, HOST_MEMORY) is None


def engine_answer(memory: dict[str, object], blkio: list[dict[str, object]]) -> dict[str, object]:
    return {
        'pids_stats': {'current': 3},
        'cpu_stats': {'cpu_usage': {'total_usage': 1129501065}},
        'memory_stats': memory,
        'blkio_stats': {'io_service_bytes_recursive': blkio},
        'networks': {'eth0': {'rx_bytes': 866, 'tx_bytes': 10}, 'eth1': {'rx_bytes': 4, 'tx_bytes': 1}},
    }


def test_the_engines_stats_answer_on_cgroup_v1_and_v2() -> None:
    v1 = engine_answer(
        {'usage': 602112, 'stats': {'inactive_file': 4096, 'total_inactive_file': 8192}, 'limit': HOST_MEMORY},
        [
            {'major': 8, 'minor': 0, 'op': 'Read', 'value': 10},
            {'major': 8, 'minor': 0, 'op': 'Write', 'value': 20},
            {'major': 8, 'minor': 0, 'op': 'Total', 'value': 30},
        ],
    )
    assert counters_from_stats(v1, HOST_MEMORY) == Counters(
        cpu_ns=1129501065,
        memory_bytes=602112 - 8192,
        memory_limit_bytes=None,
        net_rx_bytes=870,
        net_tx_bytes=11,
        block_read_bytes=10,
        block_write_bytes=20,
        pids=3,
    )
    v2 = engine_answer(
        {'usage': 1200000, 'stats': {'inactive_file': 20480}, 'limit': GIB},
        [{'major': 259, 'minor': 0, 'op': 'read', 'value': 5}, {'major': 259, 'minor': 0, 'op': 'write', 'value': 6}],
    )
    counters = counters_from_stats(v2, HOST_MEMORY)
    assert counters is not None
    assert (counters.memory_bytes, counters.memory_limit_bytes) == (1200000 - 20480, GIB)
    assert (counters.block_read_bytes, counters.block_write_bytes) == (5, 6)


def test_the_engines_answer_for_a_stopped_container_has_no_counters() -> None:
    assert counters_from_stats({'cpu_stats': {'cpu_usage': {}}, 'memory_stats': {}}) is None


def test_the_engine_facts_the_collector_needs() -> None:
    assert cgroup_info_from({'CgroupVersion': '2', 'CgroupDriver': 'systemd', 'MemTotal': HOST_MEMORY}) == CgroupInfo(
        version='2', driver='systemd', memory_total=HOST_MEMORY
    )
    assert cgroup_info_from({}) == CgroupInfo(version='1', driver='cgroupfs', memory_total=None)
    process = process_from_inspect({'State': {'Pid': 10658}, 'HostConfig': {'NetworkMode': 'host'}})
    assert process == ContainerProcess(pid=10658, network_mode='host')
    assert not process.own_network


def test_the_stats_interval_setting_is_a_duration_between_one_second_and_five_minutes(tmp_path: Path) -> None:
    path = tmp_path / 'homelab.toml'
    assert load_config(None).stats.interval_seconds == 10.0
    path.write_text('[stats]\ninterval = "30s"\n')
    assert load_config(path).stats.interval_seconds == 30.0
    for bad in ('0s', '10m', 'often'):
        path.write_text(f'[stats]\ninterval = "{bad}"\n')
        with pytest.raises(ConfigError, match=r'stats\.interval'):
            load_config(path)


def test_only_a_full_container_id_becomes_part_of_a_cgroup_path(tmp_path: Path) -> None:
    files = CgroupFiles(CgroupInfo(version='2', driver='cgroupfs', memory_total=HOST_MEMORY), tmp_path)
    assert files.directory(CID).name == CID
    for crafted in ('../../../etc', f'{CID}/../..', 'abc', CID.upper()):
        with pytest.raises(ValueError, match='not a container id'):
            files.directory(crafted)
