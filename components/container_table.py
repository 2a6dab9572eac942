"""The live container table: one row per container, kept current from the observer's events."""

from __future__ import annotations

from typing import Any

from nicegui import context, ui

from components.badges import health_color, state_color
from ops.docker.engine import ContainerInfo
from ops.world.observer import ContainerChange, Observer

COLUMNS: list[dict[str, Any]] = [
    {'name': 'name', 'label': 'Container', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'stack', 'label': 'Stack', 'field': 'stack', 'align': 'left', 'sortable': True},
    {'name': 'service', 'label': 'Service', 'field': 'service', 'align': 'left', 'sortable': True},
    {'name': 'state', 'label': 'State', 'field': 'state', 'align': 'left', 'sortable': True},
    {'name': 'health', 'label': 'Health', 'field': 'health', 'align': 'left', 'sortable': True},
    {
        'name': 'image',
        'label': 'Image',
        'field': 'image',
        'align': 'left',
        'sortable': True,
        'classes': 'break-all',
        'headerClasses': '',
    },
]

# Vue templates: {{ }} interpolation is text, so container names and images stay inert.
_STATE_SLOT = """
<q-td :props="props">
  <q-badge :color="props.row.state_color" :label="props.value" :data-state="props.row.name + ':' + props.value" />
</q-td>
"""
_HEALTH_SLOT = """
<q-td :props="props">
  <q-badge v-if="props.value" :color="props.row.health_color" :label="props.value"
           :data-health="props.row.name + ':' + props.value" />
  <span v-else class="opacity-50">—</span>
</q-td>
"""

# On a phone the table becomes one card per container (Quasar's grid mode) with the same badges.
_ITEM_SLOT = """
<div class="q-pa-xs col-12">
  <q-card flat bordered>
    <q-card-section class="q-py-sm">
      <div class="text-weight-medium" style="word-break: break-all">{{ props.row.name }}</div>
      <div class="text-caption opacity-70">
        {{ props.row.stack }}<span v-if="props.row.service"> / {{ props.row.service }}</span>
      </div>
      <div class="q-mt-xs row items-center q-gutter-xs">
        <q-badge :color="props.row.state_color" :label="props.row.state"
                 :data-state="props.row.name + ':' + props.row.state" />
        <q-badge v-if="props.row.health" :color="props.row.health_color" :label="props.row.health"
                 :data-health="props.row.name + ':' + props.row.health" />
      </div>
      <div class="text-caption q-mt-xs" style="word-break: break-all">{{ props.row.image }}</div>
    </q-card-section>
  </q-card>
</div>
"""


def container_row(info: ContainerInfo) -> dict[str, Any]:
    return {
        'id': info.id,
        'name': info.name,
        'stack': info.stack or '',
        'service': info.service or '',
        'state': info.state,
        'state_color': state_color(info.state),
        'health': info.health or '',
        'health_color': health_color(info.health),
        'image': info.image,
        'status': info.status,
    }


class container_table(ui.table):
    """All containers the engine reports, sorted by stack and name; rows change as events arrive."""

    def __init__(self, observer: Observer) -> None:
        super().__init__(columns=COLUMNS, rows=[], row_key='id', pagination={'rowsPerPage': 0, 'sortBy': 'stack'})
        self.classes('w-full').props('flat bordered dense wrap-cells')
        self.add_slot('body-cell-state', _STATE_SLOT)
        self.add_slot('body-cell-health', _HEALTH_SLOT)
        self.add_slot('item', _ITEM_SLOT)
        self.props(':grid="window.matchMedia(\'(max-width: 599px)\').matches"')
        self._rows: dict[str, dict[str, Any]] = {}
        for info in observer.containers.values():
            self._rows[info.id] = container_row(info)
        self._publish()
        unsubscribe = observer.container_changed.subscribe(self._on_change)
        context.client.on_delete(unsubscribe)

    def _on_change(self, change: ContainerChange) -> None:
        if change.info is None:
            self._rows.pop(change.container_id, None)
        else:
            self._rows[change.container_id] = container_row(change.info)
        self._publish()

    def _publish(self) -> None:
        self.rows = sorted(self._rows.values(), key=lambda row: (row['stack'], row['name']))
