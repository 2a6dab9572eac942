"""One container as a row of the Overview: name (a link to its page), state, health, open alerts, CPU and memory,
uptime, restarts, image.

Each row is its own small element tree: a container event changes the props of this row's badges and labels
only, so the browser receives that row and nothing else (BENCHMARKS B10).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from nicegui import ui

from components.badges import health_color, state_color
from components.usage_cell import usage_cell
from ops.clock import age_text
from ops.docker.containers import ContainerInfo, ContainerState
from ops.stats.samples import ContainerSample
from ops.world.container_facts import ContainerFacts

# From phone width up the rows line up as columns; below it they wrap (name, then badges, then image). CPU and
# memory get a column of their own where the stack's card is wide enough (a container query: the navigation drawer
# and the Overview's side column take their share of the screen); narrower, a line of their own under the row.
GRID = 'sm:grid sm:grid-cols-[minmax(0,1fr)_10rem_6rem_6.5rem] @4xl:grid-cols-[minmax(0,1fr)_10rem_13rem_6rem_6.5rem]'
USAGE_PLACE = 'w-full sm:col-span-full sm:order-last @4xl:col-span-1 @4xl:order-none'
# (heading, classes): the CPU and memory heading only where they have their column.
HEADINGS = (
    ('Container · image', ''),
    ('State', ''),
    ('CPU · memory', '@max-4xl:hidden'),
    ('Uptime', ''),
    ('Restarts', ''),
)


class container_entry(ui.element):
    """A container row; show(), show_facts(), show_alerts() and usage.show() update it in place."""

    def __init__(
        self, info: ContainerInfo, facts: ContainerFacts | None = None, samples: Sequence[ContainerSample] = ()
    ) -> None:
        super().__init__()
        self.info = info
        self.facts = facts
        self.classes(f'w-full flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 border-t border-gray-500/20 {GRID}')
        with self:
            with ui.column().classes('gap-0 w-full sm:w-auto min-w-0'):
                self.link = ui.link(info.name, f'/containers/{quote(info.name, safe="")}')
                self.link.classes('font-medium break-all text-blue-700 dark:text-blue-300 no-underline hover:underline')
                self.service = ui.label().classes('text-xs opacity-70')
                self.image = ui.label().classes('text-xs font-mono opacity-70 break-words')
                self.alerts = ui.row().classes('gap-1 items-center pt-1')
            with ui.row().classes('gap-1 items-center no-wrap'):
                self.state = ui.badge()
                self.health = ui.badge()
            self.usage = usage_cell(info.name, samples).classes(USAGE_PLACE)
            self.uptime = ui.label().classes('text-sm opacity-80')
            self.restarts = ui.label().classes('text-sm opacity-80')
        self.alert_labels: list[str] = []
        self.alerts.set_visibility(False)
        self.show(info)
        if facts is not None:
            self.show_facts(facts)

    def show(self, info: ContainerInfo) -> None:
        """The container changed: update this row's badges and labels (only what differs is sent)."""
        self.info = info
        self.props['data-container'] = info.name
        self.service.set_text(f'service {info.service}' if info.service else 'no Compose service')
        self.state.set_text(info.state)
        self.state.props(f'color={state_color(info.state)}')
        self.state.props['data-state'] = f'{info.name}:{info.state}'
        self.health.set_text(info.health or '')
        self.health.props(f'color={health_color(info.health)}')
        self.health.props['data-health'] = f'{info.name}:{info.health or "none"}'
        self.health.set_visibility(bool(info.health))
        self.image.set_text(info.image)
        self.tick()

    def show_alerts(self, labels: list[str]) -> None:
        """The rules of this container's open alerts, one badge each (redrawn only when they differ)."""
        if labels == self.alert_labels:
            return
        self.alert_labels = labels
        self.alerts.clear()
        with self.alerts:
            for label in labels:
                badge = ui.badge(label, color='deep-orange-8').props(
                    f'outline data-alert-badge="{self.info.name}:{label}"'
                )
                badge.mark(f'alert-badge-{self.info.name}')
        self.alerts.set_visibility(bool(labels))

    def show_facts(self, facts: ContainerFacts) -> None:
        """The inspect answered (restart count, start time)."""
        self.facts = facts
        count = facts.restart_count
        self.restarts.set_text(f'{count} restart{"" if count == 1 else "s"}')
        self.restarts.props['data-restarts'] = str(count)
        self.tick()

    def tick(self, now: datetime | None = None) -> None:
        """Recompute the uptime text (a minute later it may read differently)."""
        self.uptime.set_text(uptime_text(self.info, self.facts, now))


def uptime_text(info: ContainerInfo, facts: ContainerFacts | None, now: datetime | None = None) -> str:
    """'up 5 min' while running (from the inspect's start time), 'exited (3)' after an exit, else the state."""
    if info.state == ContainerState.RUNNING:
        if facts is not None and facts.started_at is not None:
            return f'up {age_text(facts.started_at, now)}'
        return info.status.split(' (')[0].lower()  # the engine's own words until the inspect answers
    if info.state == ContainerState.EXITED:
        return f'exited ({info.exit_code})' if info.exit_code is not None else 'exited'
    return info.state
