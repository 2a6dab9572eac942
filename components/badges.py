"""Colour-coded badges for container state and health and host signal levels (run states: state_looks.py)."""

from __future__ import annotations

from ops.docker.containers import ContainerState, Health

STATE_COLORS: dict[str, str] = {
    ContainerState.RUNNING: 'positive',
    ContainerState.RESTARTING: 'warning',
    ContainerState.PAUSED: 'grey-7',
    ContainerState.CREATED: 'grey-7',
    ContainerState.EXITED: 'negative',
    ContainerState.DEAD: 'negative',
    ContainerState.REMOVING: 'grey-7',
}
HEALTH_COLORS: dict[str, str] = {Health.HEALTHY: 'positive', Health.UNHEALTHY: 'negative', Health.STARTING: 'info'}
LEVEL_COLORS = {'ok': 'positive', 'warn': 'warning', 'bad': 'negative', 'unknown': 'grey-7', 'off': 'blue-grey-5'}


def state_color(state: str) -> str:
    """The badge colour of a container state."""
    return STATE_COLORS.get(state, 'grey-7')


def health_color(health: str | None) -> str:
    """The badge colour of a container's health."""
    return HEALTH_COLORS.get(health or '', 'grey-5')


def level_color(level: str) -> str:
    """The badge colour of a host signal's level (ok / warn / bad / unknown)."""
    return LEVEL_COLORS.get(level, 'grey-7')
