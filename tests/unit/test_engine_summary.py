from __future__ import annotations

import pytest

from ops.docker.containers import container_from_summary


def summary(status: str, state: str = 'running') -> dict[str, object]:
    return {
        'Id': 'a' * 64,
        'Names': ['/homelab-dev-web-1'],
        'Image': 'busybox:1.36',
        'State': state,
        'Status': status,
        'Created': 1700000000,
        'Labels': {'com.docker.compose.project': 'homelab-dev', 'com.docker.compose.service': 'web'},
    }


@pytest.mark.parametrize(
    ('status', 'health'),
    [
        ('Up 3 minutes (healthy)', 'healthy'),
        ('Up 3 minutes (unhealthy)', 'unhealthy'),
        ('Up 2 seconds (health: starting)', 'starting'),
        ('Up 3 minutes', None),
    ],
)
def test_health_comes_from_the_status_text(status: str, health: str | None) -> None:
    info = container_from_summary(summary(status))
    assert info.health == health
    assert (info.name, info.stack, info.service, info.image) == (
        'homelab-dev-web-1',
        'homelab-dev',
        'web',
        'busybox:1.36',
    )


def test_a_container_outside_compose_has_no_stack() -> None:
    data = summary('Exited (3) 2 seconds ago', 'exited')
    data['Labels'] = None
    info = container_from_summary(data)
    assert (info.stack, info.service, info.state) == (None, None, 'exited')
