"""The operation catalog: the allowlist. Each operation registers a params model, a handler and a spec.

A spec is said in three values: the params model, how people see it (`Description`, ops/descriptions.py) and how
the manager supervises it (`Supervision`, ops/supervision.py, mostly through its named presets such as `reading` or
`one_change_per_container`). A duplicate name fails at import; an unknown spec option is a TypeError at import
(keyword-only arguments), and so is a missing label or group; a consequence or container button that does not fit
the params model is a RegistryError at import. Nothing outside this registry can be run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from ops.descriptions import ContainerButton, Description, OperationGroup, render_consequence
from ops.supervision import BusyPolicy, Pool, Supervision

if TYPE_CHECKING:
    from ops.adapters import Adapters
    from ops.run_context import RunContext

P = TypeVar('P', bound=BaseModel)
Result = dict[str, Any]
Handler = Callable[[P, 'RunContext'], Awaitable[Result]]
# A check refuses (ops.errors.Refused), or passes; it may return the params with references resolved (a container
# name to its full id), and the handler then gets those: what was checked is exactly what is acted on. Its third
# argument says whether the operation changes anything (a change is limited to what is in scope). The checks shared
# by several operations live in ops/checks.py (`resolved_container`).
WorldCheck = Callable[[P, 'Adapters', bool], Awaitable[P | None]]


class RegistryError(Exception):
    """The catalog itself is wrong (a duplicate name): a programming error, raised at import."""


@dataclass(frozen=True, kw_only=True, slots=True)
class OperationSpec(Generic[P]):
    """How one operation runs (its argument model, handler and supervision) and how people see it (label, group,
    icon, the consequence its confirmation states, and whether a container's page offers it as a button)."""

    name: str
    summary: str
    label: str
    group: OperationGroup
    icon: str
    consequence: str | None
    container_button: ContainerButton | None
    params: type[P]
    handler: Handler[P]
    mutating: bool
    confirm: bool
    timeout: float
    pool: Pool
    lock: Callable[[P], str] | None
    on_busy: BusyPolicy
    check: WorldCheck[P] | None
    streams: bool

    def lock_key(self, params: P) -> str | None:
        return self.lock(params) if self.lock is not None else None

    def what_happens(self, values: dict[str, Any]) -> str:
        """What a run with these (not yet validated) arguments changes, in words; the summary when no consequence
        is given."""
        if self.consequence is None:
            return f'{self.summary}.'
        return render_consequence(self.consequence, self.params, values)


class Registry:
    """Name -> spec; the only way in is `operation(...)`."""

    def __init__(self) -> None:
        self._specs: dict[str, OperationSpec[Any]] = {}

    def add(self, spec: OperationSpec[Any]) -> None:
        if spec.name in self._specs:
            raise RegistryError(f'operation {spec.name!r} is registered twice')
        self._specs[spec.name] = spec

    def get(self, name: str) -> OperationSpec[Any] | None:
        return self._specs.get(name)

    def label_of(self, name: str) -> str:
        """What people call operation `name` (its label); the name itself when it is not (or no longer) here."""
        spec = self._specs.get(name)
        return spec.label if spec is not None else name

    def names(self) -> list[str]:
        return sorted(self._specs)

    def specs(self) -> list[OperationSpec[Any]]:
        return [self._specs[name] for name in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)


CATALOG = Registry()


def operation(
    name: str,
    *,
    summary: str,
    params: type[P],
    described: Description,
    supervised: Supervision[P],
    check: WorldCheck[P] | None = None,
    streams: bool = False,
    registry: Registry = CATALOG,
) -> Callable[[Handler[P]], Handler[P]]:
    """Register the decorated async handler as operation `name` in the catalog."""
    if params.model_config.get('extra') != 'forbid':
        raise RegistryError(f"operation {name!r}: its params model must set extra='forbid'")
    if supervised.timeout <= 0:
        raise RegistryError(f'operation {name!r}: timeout must be positive')
    try:
        described.check_fits(params)
    except ValueError as err:
        raise RegistryError(f'operation {name!r}: {err}') from err

    def register(handler: Handler[P]) -> Handler[P]:
        registry.add(
            OperationSpec(
                name=name,
                summary=summary,
                label=described.label,
                group=described.group,
                icon=described.icon,
                consequence=described.consequence,
                container_button=described.button,
                params=params,
                handler=handler,
                mutating=supervised.mutating,
                confirm=supervised.confirm,
                timeout=supervised.timeout,
                pool=supervised.pool,
                lock=supervised.lock,
                on_busy=supervised.on_busy,
                check=check,
                streams=streams,
            )
        )
        return handler

    return register
