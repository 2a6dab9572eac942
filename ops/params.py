"""Named, constrained argument types shared by the operations' params models, and where their choices come from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, StringConstraints

from ops import config

WorldSource = Literal['container', 'stack', 'service', 'unit', 'probe']


@dataclass(frozen=True, slots=True)
class FromWorld:
    """`Annotated` metadata: the argument is one of the world's (a container the observer sees, a configured stack,
    a service of that stack, an allowlisted journal unit, a configured probe), so a form offers a choice, never free
    text. The manager's check refuses anything else anyway."""

    source: WorldSource


# Docker container names: what the engine itself accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]+), or a 12-64 hex id.
ContainerName = Annotated[str, StringConstraints(pattern=r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$'), FromWorld('container')]
ServiceName = Annotated[str, StringConstraints(pattern=r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$'), FromWorld('service')]
StackName = Annotated[config.StackName, FromWorld('stack')]
UnitName = Annotated[config.UnitName, FromWorld('unit')]
ProbeName = Annotated[config.ProbeName, FromWorld('probe')]
# docker logs --since: a unix timestamp, or a relative duration like 10m / 2h.
Since = Annotated[str, StringConstraints(pattern=r'^(\d{1,10}|\d{1,6}[smhd])$')]


class StrictParams(BaseModel):
    """Base of every operation's params: unknown keys are refused, values are immutable."""

    model_config = ConfigDict(extra='forbid', frozen=True, str_max_length=4096)


class NoParams(StrictParams):
    """An operation that takes no arguments."""


class StacksParams(StrictParams):
    """Base of the params of an operation on one stack or, without, every configured stack in scope."""

    stack: StackName | None = None


class ContainerParams(StrictParams):
    """Base of the params of an operation on one container (ops.checks.resolved_container resolves it)."""

    container: ContainerName


def world_source(params: type[BaseModel], field: str) -> WorldSource | None:
    """Where the choices of `params.field` come from (its FromWorld mark, also inside an Optional), or None."""
    info = params.model_fields[field]
    found = _marks(info.metadata) or _marks_in(info.annotation)
    return found[0].source if found else None


def _marks(metadata: object) -> list[FromWorld]:
    return [item for item in metadata if isinstance(item, FromWorld)] if isinstance(metadata, (list, tuple)) else []


def _marks_in(annotation: object) -> list[FromWorld]:
    """FromWorld marks anywhere in a type: `Annotated[...]` extras, and the branches of a union."""
    found: list[FromWorld] = []
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        found += _marks(args[1:])
        args = args[:1]
    for arg in args:
        found += _marks_in(arg)
    return found
