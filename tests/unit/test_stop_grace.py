"""A stop gives the container its own grace, but never so long that the run ends (and lets go of its lock) first."""

from __future__ import annotations

from typing import Any

import pytest

from ops.docker.engine import DEFAULT_STOP_GRACE, Engine


class RecordingApi:
    """The two engine calls a stop makes, with the container's own StopTimeout; records the grace it was given."""

    def __init__(self, stop_timeout: int | None) -> None:
        self.stop_timeout = stop_timeout
        self.given: list[int | None] = []

    def inspect_container(self, container: str) -> dict[str, Any]:
        config = {} if self.stop_timeout is None else {'StopTimeout': self.stop_timeout}
        return {'Config': config}

    def stop(self, container: str, timeout: int | None = None) -> None:
        self.given.append(timeout)


class RecordingClient:
    def __init__(self, api: RecordingApi) -> None:
        self.api = api


@pytest.mark.parametrize(
    ('own', 'given'),
    [(None, DEFAULT_STOP_GRACE), (3, 3), (75, 75), (180, 75), (-1, 75), (0, 0)],
    ids=['engine default', 'short', 'at the cap', 'stop_grace_period 3m', 'wait forever', 'kill at once'],
)
def test_a_stop_waits_the_containers_grace_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch, own: int | None, given: int
) -> None:
    api = RecordingApi(own)
    engine = Engine('unix:///nonexistent.sock')
    monkeypatch.setattr(engine, 'client', lambda: RecordingClient(api))
    assert engine.stop('web', longest_grace=75) == given
    assert api.given == [given]
