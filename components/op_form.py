"""One operation of the catalog as a card: its label, summary and a form generated from its params model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from nicegui.elements.mixins.value_element import ValueElement

from components.listen import listen
from components.op_choices import WorldChoices
from ops.params import WorldSource, world_source
from ops.registry import OperationSpec
from ops.world.observer import ContainerChange

OnRun = Callable[[OperationSpec[Any], dict[str, Any]], Awaitable[None]]
HINTS = {'since': 'e.g. 10m, 2h, 1d, or a unix time'}


class op_form(ui.card):
    """Fields typed from the params model (numbers with bounds, switches, selects of the world's choices where an
    argument is marked FromWorld) and a Run button; the operation's name is a secondary detail under its label."""

    def __init__(self, spec: OperationSpec[Any], choices: WorldChoices, on_run: OnRun) -> None:
        super().__init__()
        self.spec = spec
        self.choices = choices
        self.on_run = on_run
        self.fields: dict[str, ValueElement[Any]] = {}
        self._integers: set[str] = set()
        self._sources: dict[str, WorldSource] = {}
        self.classes('w-full gap-2').props(f'flat bordered data-operation={spec.name}')
        schema = spec.params.model_json_schema()
        required = set(schema.get('required', []))
        with self:
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                ui.icon(spec.icon, size='sm', color='primary')
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(spec.label).classes('font-semibold text-base break-words')
                    ui.label(spec.name).classes('font-mono text-xs opacity-60 break-all')
                ui.space()
                if spec.mutating:
                    ui.badge('changes', color='warning').props('outline')
                else:
                    ui.badge('read only', color='grey-6').props('outline')
            ui.label(spec.summary).classes('text-sm opacity-80')
            properties: dict[str, Any] = schema.get('properties', {})
            if len(properties) > 1 and schema.get('description'):
                ui.label(schema['description'].replace('`', '')).classes('text-xs opacity-60')
            if properties:
                with ui.row().classes('w-full gap-x-3 gap-y-1 items-end'):
                    for name, prop in properties.items():
                        self.fields[name] = self._field(name, prop, name in required)
            with ui.row().classes('w-full justify-end'):
                ui.button('Run…' if spec.mutating else 'Run', icon='play_arrow', on_click=self._run).props(
                    f'unelevated dense no-caps data-testid=run-{spec.name}'
                    + (' color=warning text-color=black' if spec.mutating else '')
                ).classes('px-3').mark(f'run-{spec.name}')
        if 'container' in self.fields:
            listen(choices.observer.container_changed, self._on_container_change, owner=self)

    def values(self) -> dict[str, Any]:
        """The arguments as the manager receives them: empty optional fields left out, whole numbers as int."""
        values: dict[str, Any] = {}
        for name, field in self.fields.items():
            value = field.value
            if value is None or value == '':
                continue
            if name in self._integers and isinstance(value, float) and value.is_integer():
                value = int(value)
            values[name] = value.strip() if isinstance(value, str) else value
        return values

    async def _run(self) -> None:
        await self.on_run(self.spec, self.values())

    def _field(self, name: str, prop: dict[str, Any], required: bool) -> ValueElement[Any]:
        kind, enum = _kind(prop)
        default = prop.get('default')
        optional = not required and default is None and kind != 'boolean'
        label = str(prop.get('title', name)) + (' (optional)' if optional else '')
        source = world_source(self.spec.params, name)
        options = self.choices.options(source, {}) if source is not None else None
        field: ValueElement[Any]
        if options is not None or enum is not None:
            choices = options if options is not None else enum or []
            field = ui.select(
                choices, label=label, value=default if default in choices else None, clearable=not required
            )
            field.props('dense options-dense').classes('min-w-[14rem] grow')
            if source is not None:
                self._sources[name] = source
            if source == 'stack':
                field.on_value_change(self._refresh_services)
        elif kind == 'integer':
            self._integers.add(name)
            field = ui.number(label, value=default, min=prop.get('minimum'), max=prop.get('maximum'), precision=0)
            field.props('dense').classes('w-32')
            if 'minimum' in prop and 'maximum' in prop:
                field.props(f'hint="{prop["minimum"]} to {prop["maximum"]}"')
        elif kind == 'boolean':
            field = ui.switch(label, value=bool(default))
        else:
            field = ui.input(label, value=default or '', placeholder=HINTS.get(name, '')).props('dense')
            field.classes('min-w-[10rem] grow')
        field.props(f'data-field={self.spec.name}.{name}')
        return field

    def _refresh_services(self) -> None:
        self._refresh('service', self.values())

    def _on_container_change(self, change: ContainerChange) -> None:
        self._refresh('container', {})

    def _refresh(self, source: WorldSource, values: dict[str, Any]) -> None:
        """New choices for the fields whose choices come from `source`; a chosen value that is gone is cleared."""
        for name, field_source in self._sources.items():
            field = self.fields.get(name)
            if field_source != source or not isinstance(field, ui.select):
                continue
            options = self.choices.options(source, values)
            if options != field.options:
                field.set_options(options, value=field.value if field.value in options else None)


def _kind(prop: dict[str, Any]) -> tuple[str, list[Any] | None]:
    """The JSON-schema type of a field (an Optional's non-null branch) and its Literal choices, if any."""
    branches = [b for b in prop.get('anyOf', [prop]) if b.get('type') != 'null']
    branch = branches[0] if branches else prop
    enum = branch.get('enum')
    return str(branch.get('type', 'string')), list(enum) if enum is not None else None
