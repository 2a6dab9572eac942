"""The engine's pull progress messages, one JSON object per event, as typed events per image layer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# Statuses after which a layer has nothing left to transfer.
DONE_STATUSES = frozenset({'Pull complete', 'Already exists', 'Download complete', 'Verifying Checksum'})


class PullFailed(Exception):
    """The engine reported an error inside the pull stream (unknown tag, registry unreachable...)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PullEvent:
    """One pull progress message: for a layer (`layer` set) or for the whole image (`layer` None)."""

    layer: str | None
    status: str
    current: int | None = None
    total: int | None = None

    @property
    def done(self) -> bool:
        """The layer has nothing left to transfer."""
        return self.status in DONE_STATUSES


def pull_event(message: dict[str, Any]) -> PullEvent:
    """Parse one decoded pull message; raise PullFailed for the engine's in-stream errors."""
    if 'error' in message or 'errorDetail' in message:
        detail = message.get('errorDetail') or {}
        raise PullFailed(str(detail.get('message') or message.get('error') or 'the pull failed'))
    status = str(message.get('status') or '')
    layer = message.get('id')
    # "Pulling from repo" carries the tag as its id: it is about the image, not a layer.
    if not layer or status.startswith('Pulling from'):
        return PullEvent(layer=None, status=status)
    detail = message.get('progressDetail') or {}
    current = detail.get('current')
    total = detail.get('total')
    return PullEvent(
        layer=str(layer),
        status=status,
        current=int(current) if isinstance(current, int) else None,
        total=int(total) if isinstance(total, int) and total > 0 else None,
    )


def pull_messages(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The engine's pull stream, chunked anyhow, as its JSON objects (one per line)."""
    buffer = b''
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b'\n')
        for line in lines:
            if line.strip():
                yield json.loads(line)
    if buffer.strip():
        yield json.loads(buffer)
