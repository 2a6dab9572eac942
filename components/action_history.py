"""Decided actions (done, failed, rejected, superseded), newest first, with a "Show more" at the end."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from components.coalesced import Coalesced
from components.drift_badges import kind_words
from components.run_table import GRID_ON_PHONES, local_time
from components.state_looks import action_look
from components.table_cells import RUN_LINK_CELL, wrapped_text_cell
from ops.store.models import Action
from ops.world.action_states import DECIDED, ActionState

STEP = 20  # rows added by each "Show more"
COLUMNS: list[dict[str, Any]] = [
    {'name': 'id', 'label': 'Action', 'field': 'id', 'align': 'left'},
    {'name': 'state', 'label': 'State', 'field': 'state', 'align': 'left'},
    {'name': 'title', 'label': 'What', 'field': 'title', 'align': 'left'},
    {'name': 'stack', 'label': 'Stack', 'field': 'stack', 'align': 'left'},
    {'name': 'decided_by', 'label': 'Decided by', 'field': 'decided_by', 'align': 'left'},
    {'name': 'decided_at', 'label': 'Decided', 'field': 'decided_at', 'align': 'left'},
    {'name': 'run_id', 'label': 'Run', 'field': 'run_id', 'align': 'left'},
    {'name': 'error', 'label': 'Why it failed', 'field': 'error', 'align': 'left'},
]
# Vue interpolation only: titles, stacks, actors and errors stay text.
_STATE_SLOT = """
<q-td :props="props">
  <q-badge :color="props.row.state_color" :label="props.row.state_label"
           :data-history-state="props.row.id + ':' + props.value" />
</q-td>
"""
_TITLE_SLOT = """
<q-td :props="props">
  <div class="text-weight-medium" style="word-break: break-word">{{ props.value }}</div>
  <div class="text-caption opacity-70" style="word-break: break-word">{{ props.row.kind }}</div>
</q-td>
"""
_ERROR_SLOT = wrapped_text_cell('text-red-700 dark:text-red-300', '28rem')
# On a phone every action is a card with the same facts, without sideways scrolling.
_ITEM_SLOT = """
<div class="q-pa-xs col-12">
  <q-card flat bordered>
    <q-card-section class="q-py-sm">
      <div class="row items-center q-gutter-x-sm no-wrap">
        <q-badge :color="props.row.state_color" :label="props.row.state_label"
                 :data-history-state="props.row.id + ':' + props.row.state" />
        <span class="text-weight-medium" style="word-break: break-word">{{ props.row.title }}</span>
        <q-space />
        <a v-if="props.row.run_id" :href="'/runs/' + props.row.run_id" class="font-mono text-primary"
        >#{{ props.row.run_id }}</a>
      </div>
      <div class="text-caption opacity-70" style="word-break: break-word">
        {{ props.row.stack }} · {{ props.row.decided_by }} · {{ props.row.decided_at }}
      </div>
      <div v-if="props.row.error" class="text-caption text-red-700 dark:text-red-300" style="word-break: break-word">
        {{ props.row.error }}
      </div>
    </q-card-section>
  </q-card>
</div>
"""


def history_row(action: Action) -> dict[str, Any]:
    """One decided action as a table row."""
    look = action_look(action.state)
    superseded = action.state is ActionState.SUPERSEDED
    return {
        'id': action.id,
        'state': action.state,
        'state_label': look.label,
        'state_color': look.color,
        'title': action.title,
        'kind': kind_words(action.kind),
        'stack': action.stack,
        'decided_by': action.decided_by or ('supervisor' if superseded else ''),
        'decided_at': local_time(action.decided_at or action.finished_at),
        'run_id': action.run_id,
        'error': action.error or ('the difference went away or changed' if superseded else ''),
    }


async def decided_actions(limit: int) -> list[Action]:
    """The last `limit` decided actions, the most recently ended first."""
    rows = await Action.filter(state__in=DECIDED).order_by('-finished_at', '-id').limit(limit)
    return list(rows)


class action_history(ui.column):
    """The table and its "Show more"; `reload` (coalesced) fetches the shown rows again."""

    def __init__(self) -> None:
        super().__init__()
        self.limit = STEP
        self._refresh = Coalesced(self._fetch, name='action-history')
        self.classes('w-full gap-2')
        with self:
            self.table = ui.table(columns=COLUMNS, rows=[], row_key='id', pagination={'rowsPerPage': 0})
            self.table.classes('w-full').props('flat bordered dense wrap-cells hide-bottom data-testid=action-history')
            self.table.props('no-data-label="No decided actions yet."')
            self.table.add_slot('body-cell-state', _STATE_SLOT)
            self.table.add_slot('body-cell-title', _TITLE_SLOT)
            self.table.add_slot('body-cell-run_id', RUN_LINK_CELL)
            self.table.add_slot('body-cell-error', _ERROR_SLOT)
            self.table.add_slot('item', _ITEM_SLOT)
            self.table.props(GRID_ON_PHONES)
            self.more = ui.button('Show more', icon='expand_more', on_click=self.show_more)
            self.more.props('flat dense no-caps data-testid=history-more').classes('self-center')
        self.more.set_visibility(False)

    async def show_more(self) -> None:
        self.limit += STEP
        await self.load()

    def reload(self) -> None:
        """Fetch again in the background (a burst of changes costs one or two queries)."""
        self._refresh.request()

    async def load(self) -> None:
        await self._refresh.run()

    async def _fetch(self) -> None:
        rows = await decided_actions(self.limit + 1)
        if self.is_deleted:
            return
        self.table.rows = [history_row(action) for action in rows[: self.limit]]
        self.more.set_visibility(len(rows) > self.limit)
