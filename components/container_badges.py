"""State and health badges of one container, kept live from the observer's events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui

from components.badges import health_color, state_color
from components.listen import listen
from ops.docker.containers import ContainerInfo
from ops.world.observer import ContainerChange, Observer


class container_badges(ui.row):
    """`running` / `healthy` style badges; `on_change` hears when either changes (e.g. to inspect again)."""

    def __init__(
        self, observer: Observer, name: str, *, on_change: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        super().__init__()
        self.classes('items-center gap-2')
        self._name = name
        self._on_change = on_change
        self._seen: tuple[str, str] | None = None
        with self:
            self._state = ui.badge('unknown').props('data-testid=state-badge')
            self._health = ui.badge('').props('data-testid=health-badge')
        info = next((c for c in observer.containers.values() if c.name == name), None)
        self._id = info.id if info is not None else None
        self._show(info)
        listen(observer.container_changed, self._changed, owner=self)

    def _changed(self, change: ContainerChange) -> None:
        if change.info is not None and change.info.name == self._name:
            self._id = change.info.id
            self._show(change.info)
        elif change.info is None and change.container_id == self._id:
            # A removal names only the id: ours is removed when the id we last saw under our name goes.
            self._show(None, removed=True)

    def _show(self, info: ContainerInfo | None, *, removed: bool = False) -> None:
        state = 'removed' if removed else info.state if info else 'unknown'
        health = info.health or '' if info else ''
        if (state, health) == self._seen:
            return
        first = self._seen is None
        self._seen = (state, health)
        self._state.set_text(state)
        self._state.props(f'color={state_color(state)} data-state="{state}"')
        self._health.set_text(health)
        self._health.props(f'color={health_color(health)} data-health="{health}"')
        self._health.set_visibility(bool(health))
        if not first and self._on_change is not None:
            background_tasks.create(self._on_change(), name='container changed')
