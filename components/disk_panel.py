"""Disk use: a bar per host filesystem and the Docker engine's own accounting (images, containers, volumes)."""

from __future__ import annotations

from nicegui import ui

from ops.host.disk import DockerDiskUsage, FilesystemUsage
from ops.host.host_report import DISK_BAD, DISK_WARN
from ops.sizes import size_text


class disk_panel(ui.column):
    """Filesystem bars (colour by fullness) and a Docker disk-use line per kind; fill in with show()."""

    def __init__(self) -> None:
        super().__init__()
        self.classes('w-full gap-2').props('data-testid=disk-panel')
        with self:
            self.filesystems = ui.column().classes('w-full gap-2')
            ui.separator()
            ui.label('Docker').classes('text-sm font-semibold')
            self.docker = ui.column().classes('w-full gap-1')
        with self.filesystems:
            ui.label('Reading filesystems…').classes('text-sm opacity-70')
        with self.docker:
            ui.label('Asking the engine…').classes('text-sm opacity-70')

    def show_filesystems(self, mounts: list[FilesystemUsage], skipped: list[str]) -> None:
        """One labelled bar per filesystem, plus what could not be read."""
        self.filesystems.clear()
        with self.filesystems:
            if not mounts:
                ui.label('No filesystem could be read.').classes('text-sm opacity-70')
            for fs in mounts:
                color = 'negative' if fs.percent >= DISK_BAD else 'warning' if fs.percent >= DISK_WARN else 'positive'
                with ui.column().classes('w-full gap-0') as row:
                    row.props['data-filesystem'] = fs.mountpoint
                    with ui.row().classes('w-full items-baseline gap-2 no-wrap'):
                        ui.label(fs.mountpoint).classes('font-mono text-sm break-all')
                        ui.label(fs.fstype).classes('text-xs opacity-60')
                        ui.space()
                        ui.label(f'{fs.percent:.0f}%').classes('text-sm font-semibold')
                    ui.linear_progress(fs.percent / 100, show_value=False, size='10px', color=color).props('rounded')
                    ui.label(f'{size_text(fs.used_bytes)} used of {size_text(fs.total_bytes)}, '
                             f'{size_text(fs.free_bytes)} free').classes('text-xs opacity-70')  # fmt: skip
            for note in skipped:
                ui.label(f'Skipped {note}').classes('text-xs opacity-70')

    def show_docker(self, usage: DockerDiskUsage) -> None:
        """The engine's `system df` per kind, or why it is not known."""
        self.docker.clear()
        with self.docker:
            if not usage.available:
                ui.label(f'Not available: {usage.error}').classes('text-sm opacity-70')
                return
            parts = (
                ('Images', usage.images),
                ('Containers', usage.containers),
                ('Volumes', usage.volumes),
                ('Build cache', usage.build_cache),
            )
            for label, part in parts:
                if part is None:
                    continue
                with ui.row().classes('w-full gap-2 no-wrap text-sm') as row:
                    row.props['data-docker-disk'] = label.lower()
                    ui.label(f'{label} ({part.count})').classes('w-32')
                    ui.label(size_text(part.size_bytes)).classes('font-semibold')
                    ui.label(f'{size_text(part.reclaimable_bytes)} reclaimable').classes('opacity-70')
