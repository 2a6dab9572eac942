"""The filter bar shared by the Runs and Audit pages: selects of known values, free text, a time range."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from nicegui import ui

from ops.clock import utc_now
from ops.runs import RunState
from ops.store.audit_kinds import AuditKind
from ops.store.queries import HistoryFilter

TIME_RANGES = {
    'any': 'Any time',
    '1h': 'Last hour',
    '24h': 'Last 24 hours',
    '7d': 'Last 7 days',
    '30d': 'Last 30 days',
}
_SPANS = {'1h': timedelta(hours=1), '24h': timedelta(hours=24), '7d': timedelta(days=7), '30d': timedelta(days=30)}


class history_filter(ui.row):
    """Calls `on_change` with a HistoryFilter whenever a field changes (text fields on Enter or blur)."""

    def __init__(
        self,
        on_change: Callable[[HistoryFilter], object],
        *,
        operations: list[str],
        states: Mapping[RunState, str] | None = None,
        kinds: Mapping[AuditKind, str] | None = None,
        with_run: bool = False,
    ) -> None:
        super().__init__()
        self.on_change = on_change
        self.classes('w-full items-end gap-x-3 gap-y-1').props('data-testid=history-filter')
        self.fields: dict[str, Any] = {}
        with self:
            if kinds is not None:
                self._select('kind', 'Kind', kinds)
            self._select('operation', 'Operation', operations)
            if states is not None:
                self._select('state', 'State', states)
            self.fields['actor'] = self._text_field(ui.input('Actor', placeholder='e.g. ui:admin or cli:root'))
            if with_run:
                self.fields['run_id'] = self._text_field(ui.number('Run', min=1, precision=0).classes('w-28'))
            self.fields['range'] = ui.select(TIME_RANGES, label='When', value='any', on_change=self._changed)
            self.fields['range'].props('dense').classes('w-40')
            ui.button(icon='filter_alt_off', on_click=self.reset).props('flat round dense').tooltip('Clear filters')

    def value(self) -> HistoryFilter:
        """The filter as the history queries take it."""
        text = {name: field.value for name, field in self.fields.items()}
        span = _SPANS.get(text.get('range') or 'any')
        run = text.get('run_id')
        state = text.get('state')
        return HistoryFilter(
            operation=text.get('operation') or None,
            state=RunState(state) if state else None,
            kind=text.get('kind') or None,
            actor=(text.get('actor') or '').strip() or None,
            run_id=int(run) if run else None,
            since=utc_now() - span if span else None,
        )

    def reset(self) -> None:
        """Back to everything."""
        for name, field in self.fields.items():
            field.set_value('any' if name == 'range' else None)
        self._changed()

    def _select(self, name: str, label: str, options: list[str] | Mapping[Any, str]) -> None:
        """A select of values (a mapping: values to the words shown)."""
        field = ui.select(
            dict(options) if isinstance(options, Mapping) else options,
            label=label,
            clearable=True,
            on_change=self._changed,
        )
        field.props(f'dense options-dense data-filter={name}').classes('w-44')
        self.fields[name] = field

    def _text_field(self, field: Any) -> Any:
        field.props('dense clearable').on('keydown.enter', self._changed).on('blur', self._changed)
        field.on('clear', self._changed)
        return field

    def _changed(self) -> None:
        self.on_change(self.value())
