"""The Overview's count of actions waiting for approval, a link to the Actions page, live."""

from __future__ import annotations

from nicegui import ui

from components.coalesced import Coalesced
from components.listen import listen
from ops.world.actions import ActionQueue, ActionUpdate


class pending_actions(ui.link):
    """How many actions wait for approval, counted again whenever the queue says one changed."""

    def __init__(self, queue: ActionQueue) -> None:
        super().__init__(target='/actions')
        self.queue = queue
        self.count: int | None = None
        self._refresh = Coalesced(self._load, name='pending-actions')
        self.classes('no-underline text-inherit flex items-center gap-2')
        with self:
            self.badge = ui.badge('…', color='grey-7').props('data-testid=pending-actions')
            self.words = ui.label('pending actions').classes('text-sm')
        self.reload()
        listen(queue.changed, self._on_change, owner=self)

    def _on_change(self, update: ActionUpdate) -> None:
        self.reload()

    def reload(self) -> None:
        """Count again in the background (a burst of changes costs one or two queries)."""
        self._refresh.request()

    async def _load(self) -> None:
        count = await self.queue.pending_count()
        if not self.is_deleted:
            self.show(count)

    def show(self, count: int) -> None:
        self.count = count
        self.badge.set_text(str(count))
        self.badge.props(f'color={"warning" if count else "grey-7"} text-color={"black" if count else "white"}')
        self.words.set_text('pending action' if count == 1 else 'pending actions')
