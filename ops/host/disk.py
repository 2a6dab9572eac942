"""Disk use: the host's filesystems (psutil) and the Docker engine's own accounting (`system df`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from ops.docker.containers import ContainerState
from ops.docker.engine import Engine, EngineError

# Kernel and container plumbing, never a disk an operator fills up. Overlay mounts are the engine's container
# layers: their space is the engine's data filesystem, reported once through it and through `system df`.
PSEUDO_FILESYSTEMS = frozenset(
    {
        'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs',
        'efivarfs', 'fuse.gvfsd-fuse', 'fuse.lxcfs', 'fuse.portal', 'fusectl', 'hugetlbfs', 'mqueue', 'nfsd',
        'nsfs', 'overlay', 'proc', 'pstore', 'ramfs', 'rpc_pipefs', 'securityfs', 'selinuxfs', 'squashfs',
        'sysfs', 'tmpfs', 'tracefs',
    }
)  # fmt: skip


USAGE_TIMEOUT = 5.0


@dataclass(frozen=True, kw_only=True, slots=True)
class FilesystemUsage:
    """One mounted filesystem and how full it is."""

    device: str
    mountpoint: str
    fstype: str
    total_bytes: int
    used_bytes: int
    free_bytes: int
    percent: float


@dataclass(frozen=True, kw_only=True, slots=True)
class DockerPart:
    """One kind of thing the engine stores: how many, how big, how much could be reclaimed."""

    count: int
    size_bytes: int
    reclaimable_bytes: int


@dataclass(frozen=True, kw_only=True, slots=True)
class DockerDiskUsage:
    """The engine's disk use, or why it is not known (engine unreachable)."""

    available: bool
    error: str | None = None
    images: DockerPart | None = None
    containers: DockerPart | None = None
    volumes: DockerPart | None = None
    build_cache: DockerPart | None = None


async def filesystems(host_root: Path) -> tuple[list[FilesystemUsage], list[str]]:
    """Real filesystems (network mounts included), one per device, named as the host names them; plus skip notes."""
    # all=True: psutil's default leaves out "nodev" filesystems, and with them the NFS and CIFS mounts of a NAS.
    partitions = await asyncio.to_thread(psutil.disk_partitions, all=True)
    usages: list[FilesystemUsage] = []
    skipped: list[str] = []
    for part in select_partitions(partitions, host_root):
        mountpoint = host_mountpoint(part.mountpoint, host_root)
        try:
            # A stale network mount blocks statfs for minutes: give up on that one mount, not the report.
            usage = await asyncio.wait_for(asyncio.to_thread(psutil.disk_usage, part.mountpoint), USAGE_TIMEOUT)
        except TimeoutError:
            skipped.append(f'{mountpoint} ({part.fstype}) did not answer within {USAGE_TIMEOUT:g} s')
            continue
        except OSError as err:
            skipped.append(f'{mountpoint} ({part.fstype}): {err.strerror or err}')
            continue
        usages.append(
            FilesystemUsage(
                device=part.device,
                mountpoint=mountpoint,
                fstype=part.fstype,
                total_bytes=usage.total,
                used_bytes=usage.used,
                free_bytes=usage.free,
                percent=usage.percent,
            )
        )
    return sorted(usages, key=lambda fs: fs.mountpoint), skipped


def select_partitions(partitions: Iterable[Any], host_root: Path) -> list[Any]:
    """Drop pseudo filesystems; keep one mount per device, preferring the host's view, then the shortest path."""
    chosen: dict[str, Any] = {}
    for part in partitions:
        if part.fstype in PSEUDO_FILESYSTEMS or not part.fstype:
            continue
        best = chosen.get(part.device)
        if best is None or _preference(part.mountpoint, host_root) < _preference(best.mountpoint, host_root):
            chosen[part.device] = part
    return list(chosen.values())


def host_mountpoint(mountpoint: str, host_root: Path) -> str:
    """/host/boot seen from a container whose host root is /host is the host's /boot."""
    path = Path(mountpoint)
    if host_root != Path('/') and path.is_relative_to(host_root):
        return str(Path('/') / path.relative_to(host_root))
    return mountpoint


def _preference(mountpoint: str, host_root: Path) -> tuple[int, int]:
    under_host = host_root != Path('/') and Path(mountpoint).is_relative_to(host_root)
    return (0 if under_host else 1, len(mountpoint))


async def docker_disk_usage(engine: Engine) -> DockerDiskUsage:
    """Summarise the engine's `system df`; an unreachable engine is reported, not raised."""
    try:
        df = await asyncio.to_thread(engine.disk_usage)
    except EngineError as err:
        return DockerDiskUsage(available=False, error=str(err))
    return summarise_df(df)


def summarise_df(df: dict[str, Any]) -> DockerDiskUsage:
    """Totals per kind from the engine's `system df` answer, reclaimable space as the Docker CLI counts it."""
    images = df.get('Images') or []
    containers = df.get('Containers') or []
    volumes = df.get('Volumes') or []
    cache = df.get('BuildCache') or []
    unused_images = [image for image in images if not image.get('Containers')]
    # Shared layers count once on disk: the engine's LayersSize, not the sum of image sizes.
    image_size = int(df.get('LayersSize') or sum(_size(image, 'Size') for image in images))
    volume_sizes = [_size(volume.get('UsageData') or {}, 'Size') for volume in volumes]
    return DockerDiskUsage(
        available=True,
        images=DockerPart(
            count=len(images),
            size_bytes=image_size,
            reclaimable_bytes=sum(_size(i, 'Size') - _size(i, 'SharedSize') for i in unused_images),
        ),
        containers=DockerPart(
            count=len(containers),
            size_bytes=sum(_size(c, 'SizeRw') for c in containers),
            reclaimable_bytes=sum(_size(c, 'SizeRw') for c in containers if c.get('State') != ContainerState.RUNNING),
        ),
        volumes=DockerPart(
            count=len(volumes),
            size_bytes=sum(volume_sizes),
            reclaimable_bytes=sum(
                size for volume, size in zip(volumes, volume_sizes, strict=True) if not _refcount(volume)
            ),
        ),
        build_cache=DockerPart(
            count=len(cache),
            size_bytes=sum(_size(entry, 'Size') for entry in cache),
            reclaimable_bytes=sum(_size(entry, 'Size') for entry in cache if not entry.get('InUse')),
        ),
    )


def _size(item: dict[str, Any], key: str) -> int:
    # The engine says -1 for "not computed"; counting it as nothing beats a negative total.
    value = item.get(key)
    return value if isinstance(value, int) and value > 0 else 0


def _refcount(volume: dict[str, Any]) -> int:
    value = (volume.get('UsageData') or {}).get('RefCount')
    return value if isinstance(value, int) and value > 0 else 0
