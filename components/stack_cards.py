"""The Overview's containers, one card per Compose stack (plus one for containers outside any stack), live."""

from __future__ import annotations

from nicegui import context, ui

from components.container_entry import GRID, HEADINGS, container_entry
from ops.docker.engine import ContainerInfo
from ops.world.container_facts import ContainerFacts, ContainerFactsWatch
from ops.world.observer import ContainerChange, Observer

STANDALONE = ''  # the group of containers that belong to no Compose project


class stack_card(ui.card):
    """A stack: its name, how many of its containers run, and a row per container."""

    def __init__(self, stack: str) -> None:
        super().__init__()
        self.stack = stack
        self.classes('w-full p-0 gap-0').props('flat bordered')
        self.props['data-stack'] = stack or 'standalone'
        with self:
            with ui.row().classes('w-full items-center gap-2 px-3 py-2'):
                ui.icon('layers' if stack else 'inventory_2').classes('opacity-70')
                ui.label(stack or 'Outside any stack').classes('text-base font-semibold break-all')
                ui.space()
                self.summary = ui.label().classes('text-sm opacity-70')
            with ui.element().classes(f'max-sm:hidden w-full gap-x-3 px-3 pb-1 text-xs uppercase opacity-60 {GRID}'):
                for heading in HEADINGS:
                    ui.label(heading)
            self.rows = ui.column().classes('w-full gap-0')

    def count(self) -> None:
        """Update the 'n of m running' line."""
        entries = [entry for entry in self.rows if isinstance(entry, container_entry)]
        running = sum(entry.info.state == 'running' for entry in entries)
        self.summary.set_text(f'{running} of {len(entries)} running')


class stack_cards(ui.column):
    """Every container the observer knows, grouped by stack; each event updates, adds or removes one row."""

    def __init__(self, observer: Observer, facts: ContainerFactsWatch) -> None:
        super().__init__()
        self.classes('w-full gap-3')
        self._facts = facts
        self._cards: dict[str, stack_card] = {}
        self._entries: dict[str, container_entry] = {}
        with self:
            self._empty = ui.label('No containers yet.').classes('opacity-70')
        for info in sorted(observer.containers.values(), key=_order):
            self._add(info)
        client = context.client
        client.on_delete(observer.container_changed.subscribe(self._on_change))
        client.on_delete(facts.changed.subscribe(self._on_facts))
        ui.timer(60, self.tick)

    def tick(self) -> None:
        """Let the uptimes advance (only texts that read differently now are sent)."""
        for entry in self._entries.values():
            entry.tick()

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

    def _on_facts(self, facts: ContainerFacts) -> None:
        entry = self._entries.get(facts.container_id)
        if entry is not None:
            entry.show_facts(facts)

    def _add(self, info: ContainerInfo) -> None:
        group = _group(info)
        card = self._cards.get(group)
        if card is None:
            with self:
                card = self._cards[group] = stack_card(group)
            groups = sorted(self._cards, key=lambda name: (name == STANDALONE, name))
            card.move(self, target_index=groups.index(group) + 1)  # after the "no containers" label
        with card.rows:
            entry = self._entries[info.id] = container_entry(info, self._facts.facts.get(info.id))
        names = sorted(other.info.name for other in card.rows if isinstance(other, container_entry))
        entry.move(card.rows, target_index=names.index(info.name))
        card.count()
        self._empty.set_visibility(False)

    def _remove(self, container_id: str, entry: container_entry) -> None:
        del self._entries[container_id]
        group = _group(entry.info)
        card = self._cards[group]
        card.rows.remove(entry)
        if not any(isinstance(other, container_entry) for other in card.rows):
            self.remove(card)
            del self._cards[group]
        else:
            card.count()
        self._empty.set_visibility(not self._entries)


def _group(info: ContainerInfo) -> str:
    return info.stack or STANDALONE


def _order(info: ContainerInfo) -> tuple[bool, str, str]:
    return (info.stack is None, info.stack or '', info.name)
