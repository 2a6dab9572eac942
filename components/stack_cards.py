"""The Overview's containers, one card per Compose stack (plus one for containers outside any stack), live; with
CPU and memory per row and per stack from the stats collector's ticks."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

from nicegui import ui

from components.container_entry import GRID, HEADINGS, container_entry
from components.drift_badges import drift_badges
from components.listen import listen
from components.stat_shapes import StatsFeed
from components.ticker import every
from components.usage_cell import WINDOW
from components.usage_text import cpu_text, memory_text
from ops.alerts.keeper import AlertChange, AlertKeeper
from ops.alerts.rules import DEFAULTS
from ops.docker.containers import ContainerInfo, ContainerState
from ops.stats.samples import ContainerSample
from ops.world.container_facts import ContainerFacts, ContainerFactsWatch
from ops.world.observer import ContainerChange, Observer
from ops.world.supervisor import Supervisor

STANDALONE = ''  # the group of containers that belong to no Compose project
Order = Literal['name', 'cpu', 'memory']
ORDERS: dict[Order, str] = {'name': 'Name', 'cpu': 'CPU', 'memory': 'Memory'}


class stack_card(ui.card):
    """A stack: its name, how it differs from its files (for a configured stack), how many of its containers
    run, and a row per container."""

    def __init__(self, stack: str, supervisor: Supervisor | None = None) -> None:
        super().__init__()
        self.stack = stack
        self.drift: drift_badges | None = None
        self.classes('w-full p-0 gap-0 @container').props('flat bordered')  # the rows' columns follow its width
        self.props['data-stack'] = stack or 'standalone'
        with self:
            with ui.row().classes('w-full items-center gap-2 px-3 py-2'):
                ui.icon('layers' if stack else 'inventory_2').classes('opacity-70')
                ui.label(stack or 'Outside any stack').classes('text-base font-semibold break-all')
                if supervisor is not None and stack in supervisor.adapters.config.stacks:
                    with ui.link(target='/actions').classes('no-underline'):
                        self.drift = drift_badges(stack, supervisor.reports.get(stack), settle=supervisor.settle)
                ui.space()
                self.totals = ui.label().classes('text-sm opacity-70 tabular-nums')
                self.totals.props['data-stack-totals'] = stack or 'standalone'
                self.totals.set_visibility(False)
                self.summary = ui.label().classes('text-sm opacity-70')
            with ui.element().classes(
                f'max-sm:hidden w-full gap-x-3 px-3 pb-1 text-xs uppercase opacity-60 {GRID}'
            ) as self.headings:
                for heading, classes in HEADINGS:
                    ui.label(heading).classes(classes)
            self.rows = ui.column().classes('w-full gap-0')
            self.empty = ui.label('No containers of this stack exist.').classes('text-sm opacity-70 px-3 pb-2')

    def count(self) -> None:
        """Update the 'n of m running' line."""
        entries = [entry for entry in self.rows if isinstance(entry, container_entry)]
        running = sum(entry.info.state == ContainerState.RUNNING for entry in entries)
        self.summary.set_text(f'{running} of {len(entries)} running')
        self.headings.set_visibility(bool(entries))
        self.empty.set_visibility(not entries)

    def entries(self) -> list[container_entry]:
        return [entry for entry in self.rows if isinstance(entry, container_entry)]

    def add_up(self) -> None:
        """The stack's CPU and memory now: the sums over its running containers' newest samples."""
        latest = [entry.usage.latest for entry in self.entries() if entry.usage.latest is not None]
        if latest:
            cpu = sum(sample.cpu_percent for sample in latest)
            memory = sum(sample.memory_bytes for sample in latest)
            self.totals.set_text(f'CPU {cpu_text(cpu)} · Mem {memory_text(memory, None)}')
        self.totals.set_visibility(bool(latest))

    def arrange(self, order: Order) -> None:
        """Put the rows in `order` (CPU and memory: the largest first); sends the row list only when it moved."""
        children = self.rows.default_slot.children
        arranged = sorted(children, key=lambda element: _sort_key(element, order))
        if arranged != children:
            children[:] = arranged
            self.rows.update()


class stack_cards(ui.column):
    """Every container the observer knows, grouped by stack; each event updates, adds or removes one row."""

    def __init__(
        self,
        observer: Observer,
        facts: ContainerFactsWatch,
        supervisor: Supervisor | None = None,
        alerts: AlertKeeper | None = None,
        stats: StatsFeed | None = None,
        order: Order = 'name',
    ) -> None:
        super().__init__()
        self.classes('w-full gap-3')
        self.observer = observer
        self._facts = facts
        self._supervisor = supervisor
        self._alerts = alerts
        self._stats = stats
        self.order: Order = order
        # Configured stacks keep their card without containers: "3 missing" must not vanish from the board.
        self._configured = set(supervisor.adapters.config.stacks) if supervisor is not None else set()
        self._cards: dict[str, stack_card] = {}
        self._entries: dict[str, container_entry] = {}
        with self:
            self._empty = ui.label('No containers yet.').classes('opacity-70')
        labels = self._alert_labels()
        for info in sorted(observer.containers.values(), key=_order):  # each card sorted, counted and summed once
            self._add(info, labels.get(info.name, []), settle=False)
        for stack in sorted(self._configured):
            self._card(stack)
        for card in self._cards.values():
            card.arrange(self.order)
            card.count()
            card.add_up()
        listen(observer.container_changed, self._on_change, owner=self)
        listen(facts.changed, self._on_facts, owner=self)
        if supervisor is not None:
            listen(supervisor.changed, lambda _: self._on_drift(), owner=self)
        if alerts is not None:
            listen(alerts.changed, self._on_alert, owner=self)
        if stats is not None:
            listen(stats.sampled, self.show_samples, owner=self)
        every(60, self.tick)

    def tick(self) -> None:
        """Let the uptimes advance (only texts that read differently now are sent)."""
        for entry in self._entries.values():
            entry.tick()

    def show_samples(self, batch: list[ContainerSample]) -> None:
        """A collector tick: each row shows its container's sample (a dash when it has none: not running), each
        card its sums; sorted by CPU or memory, rows move only when the order changed. Rows and cards are updated
        in place (one outgoing message for the whole tick), never drawn again."""
        by_id = {sample.container_id: sample for sample in batch}
        for container_id, entry in self._entries.items():
            entry.usage.show(by_id.get(container_id))
        for card in self._cards.values():
            card.add_up()
            if self.order != 'name':
                card.arrange(self.order)

    def sort_by(self, order: Order) -> None:
        """Sort every card's rows by name, CPU or memory."""
        self.order = order
        for card in self._cards.values():
            card.arrange(order)

    def _on_change(self, change: ContainerChange) -> None:
        entry = self._entries.get(change.container_id)
        if change.info is None:
            if entry is not None:
                self._remove(change.container_id, entry)
        elif entry is None:
            self._add(change.info)
        elif _group(entry.info) != _group(change.info):
            self._remove(change.container_id, entry)
            self._add(change.info)
        else:
            entry.show(change.info)
            self._cards[_group(change.info)].count()

    def _on_alert(self, change: AlertChange) -> None:
        """An alert opened or resolved: each row shows the rules of its container's open alerts."""
        if self._alerts is None:
            return
        by_target = self._alert_labels()
        for entry in self._entries.values():
            entry.show_alerts(by_target.get(entry.info.name, []))

    def _alert_labels(self) -> dict[str, list[str]]:
        """The rules of the open alerts by container name."""
        by_target: dict[str, list[str]] = {}
        for alert in self._alerts.open_alerts() if self._alerts is not None else ():
            by_target.setdefault(alert.target, []).append(DEFAULTS[alert.rule].label)
        return by_target

    def _on_facts(self, facts: ContainerFacts) -> None:
        entry = self._entries.get(facts.container_id)
        if entry is not None:
            entry.show_facts(facts)

    def _on_drift(self) -> None:
        """The supervisor's picture changed: each card's badges redraw only if its stack's report changed."""
        if self._supervisor is None:
            return
        for stack, card in self._cards.items():
            if card.drift is not None:
                card.drift.show(self._supervisor.reports.get(stack))

    def _card(self, group: str) -> stack_card:
        card = self._cards.get(group)
        if card is None:
            with self:
                card = self._cards[group] = stack_card(group, self._supervisor)
            groups = sorted(self._cards, key=lambda name: (name == STANDALONE, name))
            card.move(self, target_index=groups.index(group) + 1)  # after the "no containers" label
            card.count()
        return card

    def _add(self, info: ContainerInfo, alerts: list[str] | None = None, *, settle: bool = True) -> None:
        """A row for `info` with the rules of its open alerts (default: looked up); `settle`: sort, count and sum
        its card now (the first drawing does that once per card after the last row)."""
        group = _group(info)
        card = self._card(group)
        with card.rows:
            entry = self._entries[info.id] = container_entry(info, self._facts.facts.get(info.id), self._recent(info))
        if alerts is None:
            alerts = self._alert_labels().get(info.name, [])
        entry.show_alerts(alerts)
        if settle:
            card.arrange(self.order)
            card.count()
            card.add_up()
        self._empty.set_visibility(False)

    def _recent(self, info: ContainerInfo) -> Sequence[ContainerSample]:
        """A running container's samples of the sparklines' window (a row added mid-way starts with its lines)."""
        if self._stats is None or info.state != ContainerState.RUNNING:
            return ()
        return self._stats.recent.of(info.id, since=time.time() - WINDOW)

    def _remove(self, container_id: str, entry: container_entry) -> None:
        del self._entries[container_id]
        group = _group(entry.info)
        card = self._cards[group]
        card.rows.remove(entry)
        if not any(isinstance(other, container_entry) for other in card.rows) and group not in self._configured:
            self.remove(card)
            del self._cards[group]
        else:
            card.count()
            card.add_up()
        self._empty.set_visibility(not self._entries)


def _group(info: ContainerInfo) -> str:
    return info.stack or STANDALONE


def _sort_key(element: object, order: Order) -> tuple[float, str]:
    if not isinstance(element, container_entry):
        return (0.0, '')
    if order == 'cpu':
        return (-element.usage.cpu_percent, element.info.name)
    if order == 'memory':
        return (-element.usage.memory_bytes, element.info.name)
    return (0.0, element.info.name)


def _order(info: ContainerInfo) -> tuple[bool, str, str]:
    return (info.stack is None, info.stack or '', info.name)
