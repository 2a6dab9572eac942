"""Colour-coded badges for container state and health."""

from __future__ import annotations

STATE_COLORS = {
    'running': 'positive',
    'restarting': 'warning',
    'paused': 'grey-7',
    'created': 'grey-7',
    'exited': 'negative',
    'dead': 'negative',
    'removing': 'grey-7',
}
HEALTH_COLORS = {'healthy': 'positive', 'unhealthy': 'negative', 'starting': 'info'}


def state_color(state: str) -> str:
    return STATE_COLORS.get(state, 'grey-7')


def health_color(health: str | None) -> str:
    return HEALTH_COLORS.get(health or '', 'grey-5')
