"""How the manager supervises an operation: whether it changes anything, its time limit, pool and single-flight lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar

Pool = Literal['read', 'docker', 'compose', 'host']
BusyPolicy = Literal['refuse', 'join']
# Contravariant: a lock key that reads only `.container` serves every params model that has one.
P_contra = TypeVar('P_contra', contravariant=True)


@dataclass(frozen=True, kw_only=True, slots=True)
class Supervision(Generic[P_contra]):
    """Whether a run changes the world (and asks first), how long it may take, the pool it waits in, and the lock
    that keeps two runs off the same thing (a busy lock refuses the new run, or lets it join the running one)."""

    mutating: bool
    timeout: float
    confirm: bool = False
    pool: Pool = 'read'
    lock: Callable[[P_contra], str] | None = None
    on_busy: BusyPolicy = 'refuse'


class OfContainer(Protocol):
    """Arguments naming one container."""

    @property
    def container(self) -> str: ...


class OfStack(Protocol):
    """Arguments naming one stack, or (None) every configured stack."""

    @property
    def stack(self) -> str | None: ...


def reading(*, timeout: float) -> Supervision[object]:
    """Changes nothing: no confirmation, no lock, the read pool."""
    return Supervision(mutating=False, timeout=timeout)


def one_change_per_container(*, timeout: float, confirm: bool = True) -> Supervision[OfContainer]:
    """A change to one container: one at a time per container (restart, stop and start share the key)."""
    return Supervision(
        mutating=True,
        confirm=confirm,
        timeout=timeout,
        pool='docker',
        lock=lambda params: f'container:{params.container}',
    )


def one_change_per_stack(
    *, timeout: float, pool: Pool = 'compose', on_busy: BusyPolicy = 'refuse'
) -> Supervision[OfStack]:
    """A confirmed change to a stack (every stack without one): one run per stack, or joining the one in progress."""
    return Supervision(
        mutating=True,
        confirm=True,
        timeout=timeout,
        pool=pool,
        lock=lambda params: f'stack:{params.stack or "*"}',
        on_busy=on_busy,
    )


def pulling(*, timeout: float, lock: Callable[[P_contra], str]) -> Supervision[P_contra]:
    """Image pulls: they change what a tag points at, not what runs, so nobody is asked; one pull per lock key."""
    return Supervision(mutating=True, timeout=timeout, pool='docker', lock=lock)


def host_request(*, timeout: float, lock: str, confirm: bool = True) -> Supervision[object]:
    """A request file for a host unit: one request of its kind at a time, in the host pool."""
    return Supervision(mutating=True, confirm=confirm, timeout=timeout, pool='host', lock=lambda params: lock)
