"""The Maintenance page's Housekeeping section: a prune with a preview, and the volumes (never pruned in bulk)."""

from __future__ import annotations

from nicegui import ui

from components.prune_preview import prune_preview
from components.volume_list import volume_list
from ops.adapters import Adapters
from ops.docker.engine import EngineError
from ops.maintenance.volumes import volume_facts
from ops.manager import Manager


class housekeeping(ui.column):
    """Two cards: the prune (choices, preview, prune) and the volumes; call load() once the page is up."""

    def __init__(self, manager: Manager, adapters: Adapters) -> None:
        super().__init__()
        self.adapters = adapters
        self.classes('w-full gap-3').props('data-testid=housekeeping')
        with self:
            ui.label('Housekeeping').classes('text-lg font-semibold')
            with ui.card().classes('w-full gap-2').props('flat bordered'):
                ui.label('Prune').classes('font-semibold')
                ui.label('Stopped containers of no configured stack, dangling images, images no container uses '
                         'older than the age (kept when a stack\'s files name them), unused networks and build '
                         'cache. Preview first; volumes are never pruned.').classes('text-sm opacity-80')  # fmt: skip
                prune_preview(
                    manager,
                    default_age=adapters.config.maintenance.prune_images_older_than,
                    on_pruned=self.load,
                )
            with ui.card().classes('w-full gap-2').props('flat bordered'):
                with ui.row().classes('w-full items-center gap-2'):
                    ui.label('Volumes').classes('font-semibold')
                    ui.space()
                    ui.button(icon='refresh', on_click=self.load).props('flat round dense data-testid=volumes-refresh')
                ui.label('Removed one at a time, by name, and only when no container mounts them.').classes(
                    'text-sm opacity-80'
                )
                self.volumes = volume_list(manager, on_removed=self.load)

    async def load(self) -> None:
        """Read the volumes (sizes from the engine's df) into the list."""
        try:
            facts = await volume_facts(self.adapters)
        except EngineError as err:
            self.volumes.show([], str(err))
            return
        self.volumes.show(facts)
