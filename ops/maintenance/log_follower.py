"""One running container's log followed into a TailRing, so its last words outlive its removal.

The engine refuses to open the log of a container marked for removal, and `docker rm -f` marks it before it sends
the kill: only a stream opened while the container still ran reads to the end. The reader thread keeps the lines
itself; nothing reaches the event loop until the stream ends.
"""

from __future__ import annotations

import asyncio
import threading

from ops.docker.engine import Engine, EngineError, EngineUnavailable
from ops.docker.logstream import LogStream
from ops.maintenance.log_secrets import secret_values
from ops.maintenance.tail_ring import TailRing
from ops.pump import Pump


class LogFollower:
    """Follows `container_id`'s log (the last `max_lines` first) until the container stops or close()."""

    def __init__(self, engine: Engine, container_id: str, *, max_lines: int, max_bytes: int) -> None:
        self.container_id = container_id
        self.ring = TailRing(max_lines=max_lines, max_bytes=max_bytes)
        self.secrets: tuple[str, ...] = ()
        self.opened = asyncio.Event()
        self.ended = asyncio.Event()
        self.error: BaseException | None = None
        self._engine = engine
        self._lock = threading.Lock()
        self._stream: LogStream | None = None
        self._closed = False
        self._pump: Pump[None] = Pump(
            f'last-words:{container_id[:12]}', self._read, deliver=lambda _: None, finish=self._finish
        )

    @property
    def refused(self) -> bool:
        """The engine answered but would not give this log (a logging driver it cannot read, say)."""
        return isinstance(self.error, EngineError) and not isinstance(self.error, EngineUnavailable)

    def start(self) -> None:
        self._pump.start(asyncio.get_running_loop())

    def close(self) -> None:
        """Stop following (at shutdown); the thread ends once its blocked read returns."""
        with self._lock:
            self._closed = True
            stream = self._stream
        if stream is not None:
            stream.close()

    def _read(self) -> list[list[None]]:
        """In the pump's thread: the secrets to hide, then the log into the ring until it ends."""
        self.secrets = secret_values(self._engine.running_config(self.container_id))
        stream = self._engine.logs(self.container_id, tail=self.ring.max_lines, follow=True)
        with self._lock:
            if self._closed:
                stream.close()
                return []
            self._stream = stream
        self._pump.post(self.opened.set)
        for batch in stream.batches():
            self.ring.extend([line.text for line in batch])
        return []

    def _finish(self, error: BaseException | None) -> None:
        self.error = error
        self.ended.set()
