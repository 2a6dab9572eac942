"""Named, constrained argument types shared by the operations' params models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# Docker container names: what the engine itself accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]+), or a 12-64 hex id.
ContainerName = Annotated[str, StringConstraints(pattern=r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$')]
ServiceName = Annotated[str, StringConstraints(pattern=r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$')]
# docker logs --since: a unix timestamp, or a relative duration like 10m / 2h.
Since = Annotated[str, StringConstraints(pattern=r'^(\d{1,10}|\d{1,6}[smhd])$')]


class StrictParams(BaseModel):
    """Base of every operation's params: unknown keys are refused, values are immutable."""

    model_config = ConfigDict(extra='forbid', frozen=True, str_max_length=4096)


class NoParams(StrictParams):
    """An operation that takes no arguments."""
