"""One running container's log followed into a RawTail, so its last words outlive its removal.

The engine refuses to open the log of a container marked for removal, and `docker rm -f` marks it before it sends
the kill: only a stream opened while the container still ran reads to the end. The reader thread keeps the raw bytes
itself (nothing is decoded while following); nothing reaches the event loop until the stream ends.
"""

from __future__ import annotations

import asyncio
import threading
import time

from ops.docker.engine import Engine, EngineError, EngineUnavailable
from ops.docker.logstream import LogStream
from ops.maintenance.log_secrets import secret_values
from ops.maintenance.raw_tail import RawTail
from ops.pump import Pump


class LogFollower:
    """Follows `container_id`'s log (the last `max_lines` first) until the container stops or close()."""

    def __init__(self, engine: Engine, container_id: str, *, max_lines: int, max_bytes: int) -> None:
        self.container_id = container_id
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.tail: RawTail | None = None  # once the stream is open
        self.secrets: tuple[str, ...] = ()
        self.opened = asyncio.Event()
        self.opened_at: float | None = None  # unix time the engine had opened the stream by
        self.ended = asyncio.Event()
        self.error: BaseException | None = None
        self.cut_short = False  # closed before its stream ended
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

    def opened_before(self, time_nano: int | None) -> bool:
        """Whether its stream was open before this engine time (so it follows the run that ended then)."""
        return self.opened_at is not None and time_nano is not None and self.opened_at * 1e9 <= time_nano

    def read_run_to(self, time_nano: int | None) -> bool:
        """Whether it read the run that ended at `time_nano` whole: open before it, ended by itself, no error."""
        return self.opened_before(time_nano) and self.ended.is_set() and self.error is None and not self.cut_short

    def lines(self) -> tuple[list[str], int]:
        """The lines kept (decoded now) and how many were read in all."""
        return self.tail.lines() if self.tail is not None else ([], 0)

    def start(self) -> None:
        self._pump.start(asyncio.get_running_loop())

    def close(self) -> None:
        """Stop following (at shutdown); the thread ends once its blocked read returns."""
        with self._lock:
            self.cut_short = self.cut_short or not self.ended.is_set()
            self._closed = True
            stream = self._stream
        if stream is not None:
            stream.close()

    def _read(self) -> list[list[None]]:
        """In the pump's thread: the secrets to hide, then the log's bytes into the tail until it ends."""
        self.secrets = secret_values(self._engine.running_config(self.container_id))
        stream = self._engine.logs(self.container_id, tail=self.max_lines, follow=True)
        tail = RawTail(tty=stream.tty, max_lines=self.max_lines, max_bytes=self.max_bytes)
        with self._lock:
            if self._closed:
                stream.close()
                return []
            self._stream, self.tail, self.opened_at = stream, tail, time.time()
        self._pump.post(self.opened.set)
        for chunk in stream.raw():
            tail.feed(chunk)
        return []

    def _finish(self, error: BaseException | None) -> None:
        self.error = error
        self.ended.set()
