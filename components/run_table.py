"""The run history as a table: each row links to the run's detail page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nicegui import ui

from components.state_looks import run_look
from ops.registry import CATALOG
from ops.store.models import Run

COLUMNS: list[dict[str, Any]] = [
    {'name': 'id', 'label': 'Run', 'field': 'id', 'align': 'left'},
    {'name': 'created', 'label': 'Started', 'field': 'created', 'align': 'left'},
    {'name': 'operation', 'label': 'Operation', 'field': 'operation', 'align': 'left'},
    {'name': 'state', 'label': 'State', 'field': 'state', 'align': 'left'},
    {'name': 'duration', 'label': 'Took', 'field': 'duration', 'align': 'right'},
    {'name': 'actor', 'label': 'Actor', 'field': 'actor', 'align': 'left'},
    {'name': 'origin', 'label': 'From', 'field': 'origin', 'align': 'left'},
    {'name': 'error', 'label': 'Error', 'field': 'error', 'align': 'left', 'classes': 'break-words max-w-md'},
]
# Vue interpolation only: operation names, actors and errors stay text.
_ID_SLOT = """
<q-td :props="props"><a :href="'/runs/' + props.value" class="font-mono text-primary"
   :data-run-link="props.value">#{{ props.value }}</a></q-td>
"""
_STATE_SLOT = """
<q-td :props="props">
  <q-badge :color="props.row.state_color" :label="props.row.state_words"
           :data-run-state="props.row.id + ':' + props.value" />
</q-td>
"""
_OPERATION_SLOT = """
<q-td :props="props">
  <div style="word-break: break-word">{{ props.row.operation_label }}</div>
  <div class="font-mono text-caption opacity-70" style="word-break: break-all">{{ props.value }}</div>
</q-td>
"""
# On a phone every run is a card (Quasar's grid mode) carrying the same facts, without sideways scrolling.
_ITEM_SLOT = """
<div class="q-pa-xs col-12">
  <q-card flat bordered>
    <q-card-section class="q-py-sm">
      <div class="row items-center q-gutter-x-sm no-wrap">
        <a :href="'/runs/' + props.row.id" class="font-mono text-primary" :data-run-link="props.row.id"
        >#{{ props.row.id }}</a>
        <span class="text-weight-medium" style="word-break: break-word" :title="props.row.operation"
        >{{ props.row.operation_label }}</span>
        <q-space />
        <q-badge :color="props.row.state_color" :label="props.row.state_words"
                 :data-run-state="props.row.id + ':' + props.row.state" />
      </div>
      <div class="text-caption opacity-70">
        {{ props.row.created }} · {{ props.row.actor }} · {{ props.row.duration }}
      </div>
      <div v-if="props.row.error" class="text-caption text-negative" style="word-break: break-word">
        {{ props.row.error }}
      </div>
    </q-card-section>
  </q-card>
</div>
"""
GRID_ON_PHONES = ':grid="window.matchMedia(\'(max-width: 599px)\').matches"'


def run_row(run: Run) -> dict[str, Any]:
    """One run as a table row."""
    look = run_look(run.state)
    return {
        'id': run.id,
        'created': local_time(run.created_at),
        'operation': run.operation,
        'operation_label': CATALOG.label_of(run.operation),
        'state': run.state,
        'state_words': look.label,
        'state_color': look.color,
        'duration': duration(run.started_at or run.created_at, run.finished_at),
        'actor': run.actor,
        'origin': run.origin,
        'error': _clip(run.error or '', 160),
    }


class run_table(ui.table):
    """A page of runs, newest first; `show` replaces the rows."""

    def __init__(self) -> None:
        super().__init__(columns=COLUMNS, rows=[], row_key='id', pagination={'rowsPerPage': 0})
        self.classes('w-full').props('flat bordered dense wrap-cells hide-bottom data-testid=run-table')
        self.props('no-data-label="No runs match."')
        self.add_slot('body-cell-id', _ID_SLOT)
        self.add_slot('body-cell-state', _STATE_SLOT)
        self.add_slot('body-cell-operation', _OPERATION_SLOT)
        self.add_slot('item', _ITEM_SLOT)
        self.props(GRID_ON_PHONES)

    def show(self, runs: list[Run]) -> None:
        """Show these runs."""
        self.rows = [run_row(run) for run in runs]


def local_time(moment: datetime | None) -> str:
    """A timestamp in the server's local time, to the second."""
    return moment.astimezone().strftime('%Y-%m-%d %H:%M:%S') if moment else ''


def duration(start: datetime | None, end: datetime | None) -> str:
    """How long something took, in the largest sensible unit ('' while it runs)."""
    if start is None or end is None:
        return ''
    seconds = max(0.0, (end - start).total_seconds())
    if seconds < 10:
        return f'{seconds:.1f} s'
    if seconds < 120:
        return f'{seconds:.0f} s'
    return f'{seconds / 60:.0f} min'


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + '…'
