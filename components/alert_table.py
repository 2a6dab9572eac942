"""The alert history as a table: when, how bad, which rule about what, where it stands, who acted, and what
its messages did per channel. Every value is shown by Vue interpolation, as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nicegui import ui

from components.alert_facts import delivery_record
from components.run_table import GRID_ON_PHONES, local_time
from components.state_looks import ALERT_STATE_LOOKS, severity_look
from ops.alerts.history import Delivery
from ops.alerts.records import Alert
from ops.alerts.rules import DEFAULTS
from ops.clock import age_text
from ops.log_text import one_line

COLUMNS: list[dict[str, Any]] = [
    {'name': 'id', 'label': 'Alert', 'field': 'id', 'align': 'left'},
    {'name': 'opened', 'label': 'Opened', 'field': 'opened', 'align': 'left'},
    {'name': 'severity', 'label': 'Severity', 'field': 'severity', 'align': 'left'},
    {'name': 'rule', 'label': 'Rule · target', 'field': 'target', 'align': 'left', 'style': 'min-width: 9rem'},
    {'name': 'summary', 'label': 'What', 'field': 'summary', 'align': 'left'},
    {'name': 'state', 'label': 'State', 'field': 'state', 'align': 'left'},
    {'name': 'people', 'label': 'Acknowledged · snoozed', 'field': 'acknowledged_by', 'align': 'left'},
    {'name': 'messages', 'label': 'Messages', 'field': 'messages', 'align': 'left', 'style': 'min-width: 14rem'},
]
_SEVERITY = """<q-badge :color="props.row.severity_color" :text-color="props.row.severity_text"
  :label="props.row.severity_words" :data-alert-severity="props.row.id + ':' + props.row.severity" />"""
_STATE = """<q-badge outline :color="props.row.state_color" :label="props.row.state_words"
  :data-alert-state="props.row.id + ':' + props.row.state" />"""
_RULE = """<div class="text-weight-medium">{{ props.row.label }}</div>
<div class="font-mono text-caption" style="overflow-wrap: anywhere">{{ props.row.target }}</div>"""
_STATE_DETAIL = """<div v-if="props.row.resolution" class="text-caption opacity-70" style="word-break: break-word"
>{{ props.row.resolution }}</div><div v-if="props.row.lasted" class="text-caption opacity-70"
>open {{ props.row.lasted }}</div>"""
_PEOPLE = """<div v-if="props.row.acknowledged_by" class="text-caption">acknowledged by {{ props.row.acknowledged_by }}
</div><div v-if="props.row.snoozed" class="text-caption opacity-70">{{ props.row.snoozed }}</div>
<span v-if="!props.row.acknowledged_by && !props.row.snoozed" class="opacity-50">—</span>"""
_MESSAGES = """<div v-for="m in props.row.messages" class="text-caption" style="word-break: break-word"
  :data-alert-delivery="props.row.id + ':' + m.channel + ':' + m.kind + ':' + m.state">
  <span class="text-weight-medium">{{ m.channel }}</span> {{ m.kind }}
  <q-badge outline :color="m.state_color" :label="m.state_words" /> <span class="opacity-70">{{ m.attempts }}</span>
  <div v-if="m.error" class="text-negative">{{ m.error }}</div>
</div><span v-if="!props.row.messages.length" class="opacity-50">—</span>"""
_SUMMARY = """<div style="word-break: break-word">{{ props.row.summary }}</div>
<div v-if="props.row.evidence" class="font-mono text-caption opacity-70" style="word-break: break-word"
>{{ props.row.evidence }}</div>"""
_CELLS = {
    'severity': _SEVERITY,
    'summary': _SUMMARY,
    'rule': _RULE,
    'state': _STATE + _STATE_DETAIL,
    'people': _PEOPLE,
    'messages': _MESSAGES,
}
_ITEM = f"""
<div class="q-pa-xs col-12">
  <q-card flat bordered>
    <q-card-section class="q-py-sm">
      <div class="row items-center q-gutter-x-sm">
        <span class="font-mono opacity-70">#{{{{ props.row.id }}}}</span> {_SEVERITY}
        <span class="text-weight-medium">{{{{ props.row.label }}}}</span> <q-space /> {_STATE}
      </div>
      <div class="font-mono text-caption" style="overflow-wrap: anywhere">{{{{ props.row.target }}}}</div>
      <div class="text-caption opacity-70">{{{{ props.row.opened }}}}</div>
      {_SUMMARY}
      {_STATE_DETAIL}
      {_PEOPLE}
      {_MESSAGES}
    </q-card-section>
  </q-card>
</div>
"""


def alert_row(alert: Alert, deliveries: Sequence[Delivery]) -> dict[str, Any]:
    """One alert as a table row."""
    severity = severity_look(alert.severity)
    state = ALERT_STATE_LOOKS[alert.state]
    snoozed = f'snoozed until {local_time(alert.snoozed_until)}' if alert.snoozed_until else ''
    return {
        'id': alert.id,
        'opened': local_time(alert.opened_at),
        'severity': alert.severity.value,
        'severity_words': severity.label,
        'severity_color': severity.color,
        'severity_text': severity.text_color,
        'rule': alert.rule.value,
        'label': DEFAULTS[alert.rule].label,
        'target': alert.target,
        'summary': alert.summary,
        'evidence': '; '.join(
            f'{k.replace("_", " ")}: {one_line(v, 120)}' for k, v in alert.evidence.items() if v not in (None, '')
        ),
        'state': alert.state.value,
        'state_words': state.label,
        'state_color': state.color,
        'resolution': alert.resolution,
        'lasted': age_text(alert.opened_at, alert.resolved_at) if alert.resolved_at is not None else '',
        'acknowledged_by': alert.acknowledged_by or '',
        'snoozed': f'{snoozed} by {alert.snoozed_by}' if snoozed and alert.snoozed_by else snoozed,
        'messages': [delivery_record(d) for d in deliveries],
    }


class alert_table(ui.table):
    """A page of alerts; `show` replaces the rows."""

    def __init__(self) -> None:
        super().__init__(columns=COLUMNS, rows=[], row_key='id', pagination={'rowsPerPage': 0})
        self.classes('w-full').props('flat bordered dense wrap-cells hide-bottom data-testid=alert-table')
        self.props('no-data-label="No alerts match."')
        for name, cell in _CELLS.items():
            self.add_slot(f'body-cell-{name}', f'<q-td :props="props">{cell}</q-td>')
        self.add_slot('item', _ITEM)
        self.props(GRID_ON_PHONES)

    def show(self, alerts: Sequence[Alert], deliveries: Mapping[int, Sequence[Delivery]]) -> None:
        """Show these alerts with their messages."""
        self.rows = [alert_row(alert, deliveries.get(alert.id, ())) for alert in alerts]
