"""The Overview's count of actions waiting for approval, a link to the Actions page, live."""

from __future__ import annotations

from nicegui import background_tasks, context, ui

from ops.world.actions import ActionQueue, ActionUpdate


class pending_actions(ui.link):
    """How many actions wait for approval, counted again whenever the queue says one changed."""

    def __init__(self, queue: ActionQueue) -> None:
        super().__init__(target='/actions')
        self.queue = queue
        self.count: int | None = None
        self._loading = False
        self._again = False
        self.classes('no-underline text-inherit flex items-center gap-2')
        with self:
            self.badge = ui.badge('…', color='grey-7').props('data-testid=pending-actions')
            self.words = ui.label('pending actions').classes('text-sm')
        self.reload()
        context.client.on_delete(queue.changed.subscribe(self._on_change))

    def _on_change(self, update: ActionUpdate) -> None:
        self.reload()

    def reload(self) -> None:
        """Count again in the background (a burst of changes costs one or two queries)."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        background_tasks.create(self._load(), name='pending-actions')

    async def _load(self) -> None:
        try:
            while True:
                self._again = False
                count = await self.queue.pending_count()
                if self.is_deleted:
                    return
                self.show(count)
                if not self._again:
                    return
        finally:
            self._loading = False

    def show(self, count: int) -> None:
        self.count = count
        self.badge.set_text(str(count))
        self.badge.props(f'color={"warning" if count else "grey-7"} text-color={"black" if count else "white"}')
        self.words.set_text('pending action' if count == 1 else 'pending actions')
