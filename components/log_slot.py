"""One pane on the Logs page: a container (or stack) picker, the live log pane under it, and a close button."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from components.listen import listen
from components.log_pane import log_pane
from ops.docker.loghub import LogHub
from ops.world.observer import ContainerChange, Observer


class log_slot(ui.card):
    """Pick a container (or, with `stack`, a stack) from the observer's live list and follow its log."""

    def __init__(
        self, observer: Observer, hub: LogHub, name: str = '', *, stack: bool = False, on_close: Callable[[], None]
    ) -> None:
        super().__init__()
        self._observer = observer
        self._hub = hub
        self._stack = stack
        self._on_close = on_close
        self.classes('w-full p-2 gap-1 min-w-0').props(f'flat bordered data-testid={"stack" if stack else "log"}-slot')
        with self:
            with ui.row().classes('w-full items-center no-wrap gap-2'):
                ui.icon('layers' if stack else 'article', size='sm').classes('opacity-70')
                self._picker = (
                    ui.select(
                        self._options(),
                        value=name or None,
                        label='Stack' if stack else 'Container',
                        with_input=True,
                        on_change=self._picked,
                    )
                    .props('dense outlined data-testid=log-picker')
                    .mark('log-picker')
                    .classes('grow min-w-0')
                )
                ui.button(icon='close', on_click=self._close).props('flat dense round data-testid=close-pane').mark(
                    'close-pane'
                ).tooltip('Close this pane')
            self._body = ui.column().classes('w-full h-[60vh] min-h-[18rem] gap-0 no-wrap')
        self._show(name)
        listen(observer.container_changed, self._on_change, owner=self)

    def _picked(self, event: ValueChangeEventArguments[str | None]) -> None:
        self._show(event.value or '')

    def _options(self) -> list[str]:
        if self._stack:
            return sorted({info.stack for info in self._observer.containers.values() if info.stack})
        return sorted(container_names(self._observer))

    def _on_change(self, change: ContainerChange) -> None:
        options = self._options()
        if options != self._picker.options:
            value = self._picker.value
            self._picker.set_options(options, value=value if value in options else None)

    def _show(self, name: str) -> None:
        self._body.clear()
        with self._body:
            if not name:
                what = 'stack to follow all its services' if self._stack else 'container to follow its log'
                ui.label(f'Pick a {what}.').classes('text-sm opacity-70 p-2')
            elif self._stack:
                log_pane(self._hub, stack_members(self._observer, name)).classes('h-full')
            else:
                log_pane(self._hub, name).classes('h-full')

    def _close(self) -> None:
        self.delete()
        self._on_close()


def container_names(observer: Observer) -> set[str]:
    """The names of every container the observer knows."""
    return {info.name for info in observer.containers.values()}


def stack_members(observer: Observer, stack: str) -> dict[str, str]:
    """{service: container} of one stack, ordered by service (the prefix each merged line carries)."""
    members = [info for info in observer.containers.values() if info.stack == stack]
    return {info.service or info.name: info.name for info in sorted(members, key=lambda c: c.service or c.name)}
