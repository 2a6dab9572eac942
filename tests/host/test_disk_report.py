"""host_disk_report: real psutil filesystems; the Docker part reported as unavailable when the engine is away."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

from ops.host.disk import PSEUDO_FILESYSTEMS, host_mountpoint, select_partitions, summarise_df
from tests.helpers.host_ops import host_services, run_operation

Partition = namedtuple('Partition', 'device mountpoint fstype opts')


async def test_filesystems_of_this_machine_and_no_engine(tmp_path: Path) -> None:
    services = host_services(tmp_path)  # its engine socket does not exist

    result, ctx = await run_operation('host_disk_report', services)

    filesystems = result['filesystems']
    assert filesystems, 'this machine has at least its root filesystem'
    assert not {fs['fstype'] for fs in filesystems} & PSEUDO_FILESYSTEMS
    assert len({fs['device'] for fs in filesystems}) == len(filesystems)
    for fs in filesystems:
        assert fs['total_bytes'] > 0 and 0 <= fs['percent'] <= 100
        assert fs['used_bytes'] + fs['free_bytes'] <= fs['total_bytes']
    assert isinstance(result['skipped'], list)
    assert result['docker']['available'] is False
    assert 'socket' in result['docker']['error'] or 'engine' in result['docker']['error'].lower()
    assert 'docker disk use unavailable' in ctx.output
    assert f'{filesystems[0]["mountpoint"]}: ' in ctx.output


def test_pseudo_filesystems_and_repeated_mounts_are_left_out() -> None:
    partitions = [
        Partition('/dev/sda2', '/', 'ext4', 'rw'),
        Partition('/dev/sda2', '/var/lib/docker', 'ext4', 'rw'),  # the same filesystem bound again
        Partition('/dev/sda1', '/boot/efi', 'vfat', 'rw'),
        Partition('nas.lan:/export/media', '/mnt/media', 'nfs4', 'rw'),  # a NAS mount counts
        Partition('overlay', '/var/lib/docker/overlay2/abc/merged', 'overlay', 'rw'),
        Partition('tmpfs', '/run', 'tmpfs', 'rw'),
        Partition('proc', '/proc', 'proc', 'rw'),
    ]
    chosen = select_partitions(partitions, Path('/'))
    assert sorted(p.mountpoint for p in chosen) == ['/', '/boot/efi', '/mnt/media']


def test_in_a_container_the_hosts_view_wins_and_is_named_as_on_the_host() -> None:
    partitions = [
        Partition('/dev/sda2', '/etc/hosts', 'ext4', 'rw'),  # Docker binds these from the host's disk
        Partition('/dev/sda2', '/host', 'ext4', 'ro'),
        Partition('/dev/sdb1', '/host/srv/media', 'xfs', 'ro'),
    ]
    chosen = select_partitions(partitions, Path('/host'))
    assert sorted(host_mountpoint(p.mountpoint, Path('/host')) for p in chosen) == ['/', '/srv/media']
    assert host_mountpoint('/data', Path('/host')) == '/data'


def test_the_engines_system_df_summarised() -> None:
    df = {
        'LayersSize': 1_000,
        'Images': [
            {'Id': 'a', 'Size': 600, 'SharedSize': 100, 'Containers': 1},
            {'Id': 'b', 'Size': 500, 'SharedSize': 100, 'Containers': 0},
        ],
        'Containers': [
            {'Id': 'c1', 'State': 'running', 'SizeRw': 30},
            {'Id': 'c2', 'State': 'exited', 'SizeRw': 20},
        ],
        'Volumes': [
            {'Name': 'db', 'UsageData': {'Size': 700, 'RefCount': 1}},
            {'Name': 'old', 'UsageData': {'Size': 50, 'RefCount': 0}},
            {'Name': 'unknown', 'UsageData': {'Size': -1, 'RefCount': -1}},
        ],
        'BuildCache': [{'ID': 'x', 'Size': 80, 'InUse': False}, {'ID': 'y', 'Size': 20, 'InUse': True}],
    }
    usage = summarise_df(df)
    assert usage.available
    assert usage.images is not None and (usage.images.count, usage.images.size_bytes) == (2, 1_000)
    assert usage.images.reclaimable_bytes == 400
    assert usage.containers is not None and (usage.containers.size_bytes, usage.containers.reclaimable_bytes) == (
        50,
        20,
    )
    assert usage.volumes is not None and (usage.volumes.count, usage.volumes.size_bytes) == (3, 750)
    assert usage.volumes.reclaimable_bytes == 50
    assert usage.build_cache is not None and (usage.build_cache.size_bytes, usage.build_cache.reclaimable_bytes) == (
        100,
        80,
    )


def test_an_empty_engine() -> None:
    usage = summarise_df({'LayersSize': 0, 'Images': None, 'Containers': [], 'Volumes': None, 'BuildCache': None})
    assert usage.images is not None and usage.images.count == 0 and usage.images.size_bytes == 0
