"""The Alerts history's filter bar: rule, severity, state and part of the target."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nicegui import ui

from components.state_looks import ALERT_STATE_LOOKS, SEVERITY_LOOKS, labels
from ops.alerts.history import AlertFilter
from ops.alerts.records import AlertState
from ops.alerts.rules import DEFAULTS, AlertSeverity, Rule

WIDTH = 'w-36 sm:w-44'  # two fields side by side on a phone


class alert_filter(ui.row):
    """Calls `on_change` with an AlertFilter whenever a field changes (the target text on Enter or blur)."""

    def __init__(self, on_change: Callable[[AlertFilter], object]) -> None:
        super().__init__()
        self.on_change = on_change
        self.classes('w-full items-end gap-x-3 gap-y-1').props('data-testid=alert-filter')
        self.fields: dict[str, Any] = {}
        with self:
            self._select('rule', 'Rule', {rule: DEFAULTS[rule].label for rule in Rule})
            self._select('severity', 'Severity', labels(SEVERITY_LOOKS))
            self._select('state', 'State', labels(ALERT_STATE_LOOKS))
            target = ui.input('Target', placeholder='part of a name').props('dense clearable data-filter=target')
            target.classes(WIDTH)
            target.on('keydown.enter', self._changed).on('blur', self._changed).on('clear', self._changed)
            self.fields['target'] = target.mark('alert-target')
            ui.button(icon='filter_alt_off', on_click=self.reset).props('flat round dense').tooltip('Clear filters')

    def value(self) -> AlertFilter:
        """The filter as alerts_page takes it."""
        rule, severity, state = (self.fields[name].value for name in ('rule', 'severity', 'state'))
        return AlertFilter(
            rule=Rule(rule) if rule else None,
            severity=AlertSeverity(severity) if severity else None,
            state=AlertState(state) if state else None,
            target=str(self.fields['target'].value or '').strip() or None,
        )

    def reset(self) -> None:
        for field in self.fields.values():
            field.set_value(None)
        self._changed()

    def _select(self, name: str, label: str, options: Mapping[Any, str]) -> None:
        field = ui.select(dict(options), label=label, clearable=True, on_change=self._changed)
        field.props(f'dense options-dense data-filter={name}').classes(WIDTH)
        self.fields[name] = field

    def _changed(self) -> None:
        self.on_change(self.value())
