"""Audit events as a table: when, what kind, which operation and run, who, and the detail as JSON text."""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from components.run_table import GRID_ON_PHONES, local_time
from components.state_looks import UNKNOWN_KIND, audit_look
from components.table_cells import RUN_LINK_CELL, wrapped_text_cell
from ops.store.models import AuditEvent

COLUMNS: list[dict[str, Any]] = [
    {'name': 'id', 'label': 'Event', 'field': 'id', 'align': 'left'},
    {'name': 'at', 'label': 'At', 'field': 'at', 'align': 'left'},
    {'name': 'kind', 'label': 'Kind', 'field': 'kind', 'align': 'left'},
    {'name': 'operation', 'label': 'Operation', 'field': 'operation', 'align': 'left'},
    {'name': 'run_id', 'label': 'Run', 'field': 'run_id', 'align': 'left'},
    {'name': 'actor', 'label': 'Actor', 'field': 'actor', 'align': 'left'},
    {'name': 'origin', 'label': 'From', 'field': 'origin', 'align': 'left'},
    {'name': 'detail', 'label': 'Detail', 'field': 'detail', 'align': 'left'},
]
# Vue interpolation only: every value here may come from a request someone made up.
_KIND_SLOT = """
<q-td :props="props">
  <q-badge outline :color="props.row.kind_color" :label="props.row.kind_label" :title="props.value"
           :data-audit-kind="(props.row.run_id || '-') + ':' + props.value" />
</q-td>
"""
_DETAIL_SLOT = wrapped_text_cell('font-mono text-xs', '36rem')
_ITEM_SLOT = """
<div class="q-pa-xs col-12">
  <q-card flat bordered>
    <q-card-section class="q-py-sm">
      <div class="row items-center q-gutter-x-sm">
        <span class="font-mono opacity-70">{{ props.row.id }}</span>
        <q-badge outline :color="props.row.kind_color" :label="props.row.kind_label" :title="props.row.kind"
                 :data-audit-kind="(props.row.run_id || '-') + ':' + props.row.kind" />
        <span class="font-mono">{{ props.row.operation }}</span>
        <a v-if="props.row.run_id" :href="'/runs/' + props.row.run_id" class="font-mono text-primary"
        >#{{ props.row.run_id }}</a>
      </div>
      <div class="text-caption opacity-70">{{ props.row.at }} · {{ props.row.actor }} · {{ props.row.origin }}</div>
      <div class="font-mono text-xs" style="white-space: pre-wrap; word-break: break-word">{{ props.row.detail }}</div>
    </q-card-section>
  </q-card>
</div>
"""
_OPERATION_SLOT = '<q-td :props="props"><span class="font-mono">{{ props.value || "—" }}</span></q-td>'


def audit_row(event: AuditEvent) -> dict[str, Any]:
    """One audit event as a table row."""
    look = audit_look(event.kind)
    return {
        'id': event.id,
        'at': local_time(event.at),
        'kind': event.kind,
        'kind_label': event.kind if look is UNKNOWN_KIND else look.label,
        'kind_color': look.color,
        'operation': event.operation or '',
        'run_id': event.run_id,
        'actor': event.actor,
        'origin': event.origin,
        'detail': _clip(json.dumps(event.detail, ensure_ascii=False, sort_keys=True, default=str), 600),
    }


class audit_table(ui.table):
    """A page of audit events; `show` replaces the rows."""

    def __init__(self) -> None:
        super().__init__(columns=COLUMNS, rows=[], row_key='id', pagination={'rowsPerPage': 0})
        self.classes('w-full').props('flat bordered dense wrap-cells hide-bottom data-testid=audit-table')
        self.props('no-data-label="No audit events match."')
        self.add_slot('body-cell-kind', _KIND_SLOT)
        self.add_slot('body-cell-run_id', RUN_LINK_CELL)
        self.add_slot('body-cell-detail', _DETAIL_SLOT)
        self.add_slot('body-cell-operation', _OPERATION_SLOT)
        self.add_slot('item', _ITEM_SLOT)
        self.props(GRID_ON_PHONES)

    def show(self, events: list[AuditEvent]) -> None:
        """Show these events."""
        self.rows = [audit_row(event) for event in events]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + '…'
