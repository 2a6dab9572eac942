"""How an operation describes itself to people: its label, group, icon, container button and what a run changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from string import Formatter
from typing import Any

from pydantic import BaseModel, ValidationError

NONE_CHOSEN = '(none chosen)'


class OperationGroup(StrEnum):
    """Where an operation is listed, in this display order."""

    CONTAINERS = 'Containers'
    STACKS = 'Stacks'
    HOST = 'Host'
    BACKUPS = 'Backups'
    HOUSEKEEPING = 'Housekeeping'
    ROLLBACK = 'Rollback'


@dataclass(frozen=True, kw_only=True, slots=True)
class ContainerButton:
    """An operation offered as a button on a container's page: its wording there (the operation's label if None),
    its place among the buttons (lowest first) and the fixed arguments it adds to the container."""

    label: str | None = None
    rank: int = 100
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Description:
    """What people see of an operation: its label, the group it is listed under and its icon (in that order), the
    consequence its confirmation states (a template of its arguments and PHRASES; the summary when None) and whether
    a container's page offers it as a button."""

    label: str
    group: OperationGroup
    icon: str = 'play_arrow'
    _: KW_ONLY
    consequence: str | None = None
    button: ContainerButton | None = None

    def check_fits(self, params: type[BaseModel]) -> None:
        """The consequence and the button fit the params model (ValueError otherwise): checked at import."""
        if self.consequence is not None:
            check_consequence(self.consequence, params)
        if self.button is not None:
            check_button(self.button, params)


def _target(values: Mapping[str, Any]) -> str:
    if values.get('container'):
        return f'container {values["container"]}'
    if values.get('stack') and values.get('service'):
        return f'service {values["stack"]}/{values["service"]}'
    return 'nothing chosen yet (the request will be refused)'


def _stacks(values: Mapping[str, Any]) -> str:
    return f'stack {values["stack"]}' if values.get('stack') else 'every configured stack'


# Phrases a consequence may use besides the arguments themselves: words made from several arguments.
PHRASES: dict[str, Callable[[Mapping[str, Any]], str]] = {'target': _target, 'stacks': _stacks}


def placeholders(template: str) -> list[str]:
    """The {names} in a consequence template; a format spec, conversion, index or attribute is refused."""
    names = []
    for _, name, spec, conversion in Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f'{{{name}}}: a consequence placeholder is a plain name, nothing more')
        names.append(name)
    return names


def check_consequence(template: str, params: type[BaseModel]) -> None:
    """Each placeholder names an argument of `params` or a phrase (ValueError otherwise): checked at import."""
    for name in placeholders(template):
        if name not in params.model_fields and name not in PHRASES:
            raise ValueError(f'{{{name}}} is neither an argument nor one of the phrases {sorted(PHRASES)}')


def check_button(button: ContainerButton, params: type[BaseModel]) -> None:
    """The operation takes a container, and the button's arguments are valid for it (ValueError otherwise)."""
    if 'container' in button.arguments or 'container' not in params.model_fields:
        raise ValueError('a container button gives the container, and its operation must take one')
    try:
        params.model_validate({'container': 'a-container', **button.arguments})
    except ValidationError as err:
        raise ValueError(f'the container button arguments are not valid: {err}') from err


def render_consequence(template: str, params: type[BaseModel], values: Mapping[str, Any]) -> str:
    """The template with each placeholder replaced by its argument (an argument not given reads '(none chosen)')
    or phrase, as text. Only plain names are replaced: nothing in a value is interpreted."""
    parts: list[str] = []
    for literal, name, _, _ in Formatter().parse(template):
        parts.append(literal)
        if name is None:
            continue
        if name in params.model_fields:
            value = values.get(name)
            parts.append(NONE_CHOSEN if value is None or value == '' else str(value))
        else:
            parts.append(PHRASES[name](values))
    return ''.join(parts)
