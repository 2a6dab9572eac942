"""One container as a row of the Overview: name (a link to its page), state, health, open alerts, CPU and memory,
uptime, restarts, image.

A row is one element (container_row.js) whose props are the texts it shows, with its CPU and memory cell as a
second one (usage_cell.js) and a badge element per open alert: 500 rows are about 1000 elements, not 11 000. A
container event changes this row's props only, so the browser receives that row and nothing else (BENCHMARKS B10).
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
# The headings' columns; container_row.js lays the rows out on the same ones (keep both in step).
GRID = 'sm:grid sm:grid-cols-[minmax(0,1fr)_10rem_6rem_6.5rem] @4xl:grid-cols-[minmax(0,1fr)_10rem_13rem_6rem_6.5rem]'
# (heading, classes): the CPU and memory heading only where they have their column.
HEADINGS = (
    ('Container · image', ''),
    ('State', ''),
    ('CPU · memory', '@max-4xl:hidden'),
    ('Uptime', ''),
    ('Restarts', ''),
)


class container_entry(ui.element, component='container_row.js'):
    """A container row; show(), show_facts(), show_alerts() and usage.show() update it in place."""

    def __init__(
        self, info: ContainerInfo, facts: ContainerFacts | None = None, samples: Sequence[ContainerSample] = ()
    ) -> None:
        super().__init__()
        self.info = info
        self.facts = facts
        with self.add_slot('usage'):
            self.usage = usage_cell(info.name, samples)
        self.alert_labels: list[str] = []
        self.show(info)
        if facts is not None:
            self.show_facts(facts)

    def show(self, info: ContainerInfo) -> None:
        """The container changed: update this row's badges and labels (sent only when what it shows differs)."""
        self.info = info
        self._show(
            {
                'name': info.name,
                'href': f'/containers/{quote(info.name, safe="")}',
                'service': f'service {info.service}' if info.service else 'no Compose service',
                'image': info.image,
                'state': info.state,
                'state-color': state_color(info.state),
                'health': info.health or '',
                'health-color': health_color(info.health),
                'uptime': uptime_text(info, self.facts),
            }
        )

    def show_alerts(self, labels: list[str]) -> None:
        """The rules of this container's open alerts, one badge each (redrawn only when they differ)."""
        if labels == self.alert_labels:
            return
        self.alert_labels = labels
        for badge in list(self.default_slot.children):  # the badges only: the usage cell has a slot of its own
            self.remove(badge)
        with self:
            for label in labels:
                badge = ui.badge(label, color='deep-orange-8').props(
                    f'outline data-alert-badge="{self.info.name}:{label}"'
                )
                badge.mark(f'alert-badge-{self.info.name}')
        self._show({'alerts': len(labels)})

    def show_facts(self, facts: ContainerFacts) -> None:
        """The inspect answered (restart count, start time)."""
        self.facts = facts
        count = facts.restart_count
        self._show(
            {
                'restarts': f'{count} restart{"" if count == 1 else "s"}',
                'restart-count': count,
                'uptime': uptime_text(self.info, facts),
            }
        )

    def tick(self, now: datetime | None = None) -> None:
        """Recompute the uptime text (a minute later it may read differently)."""
        self._show({'uptime': uptime_text(self.info, self.facts, now)})

    def _show(self, shown: dict[str, object]) -> None:
        if any(self._props.get(key) != value for key, value in shown.items()):
            self._props.update(shown)  # one update of this row

    def _displayed_contents(self, *, only_visible: bool) -> list[object]:
        """What the row shows as text (the simulated user's should_see looks here)."""
        keys = ('name', 'service', 'image', 'state', 'health', 'uptime', 'restarts')
        return [self._props.get(key) for key in keys]


def uptime_text(info: ContainerInfo, facts: ContainerFacts | None, now: datetime | None = None) -> str:
    """'up 5 min' while running (from the inspect's start time), 'exited (3)' after an exit, else the state."""
    if info.state == ContainerState.RUNNING:
        if facts is not None and facts.started_at is not None:
            return f'up {age_text(facts.started_at, now)}'
        return info.status.split(' (')[0].lower()  # the engine's own words until the inspect answers
    if info.state == ContainerState.EXITED:
        return f'exited ({info.exit_code})' if info.exit_code is not None else 'exited'
    return info.state
