"""From a blocking reader's thread to the event loop: the one hand-over of engine streams (events, logs)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from typing import Generic, TypeVar

T = TypeVar('T')


class Pump(Generic[T]):
    """One daemon thread runs `read` (batches of items, blocking); on the loop, `deliver` gets them in order and
    `finish` then gets what ended the reading (None: the source ran dry or was closed).

    Items that arrive while a hand-over is waiting for the loop join it, so a chatty source wakes the loop once
    per turn rather than once per item. The pump keeps everything and drops nothing: the reader runs at the
    source's pace, and bounding what is kept is the consumer's job (each log subscriber counts what it skips).
    """

    def __init__(
        self,
        name: str,
        read: Callable[[], Iterable[Sequence[T]]],
        *,
        deliver: Callable[[list[T]], None],
        finish: Callable[[BaseException | None], None],
    ) -> None:
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._read = read
        self._deliver = deliver
        self._finish = finish
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._inbox: list[T] = []
        self._handover_waiting = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.thread.start()

    def post(self, callback: Callable[[], object]) -> None:
        """Run `callback` on the loop, after everything the reader handed over before (call it from the reader)."""
        assert self._loop is not None
        with suppress(RuntimeError):  # the loop is closed: nobody is listening any more
            self._loop.call_soon_threadsafe(callback)

    def _run(self) -> None:
        error: BaseException | None = None
        try:
            for batch in self._read():
                with self._lock:
                    self._inbox.extend(batch)
                    if self._handover_waiting:
                        continue
                    self._handover_waiting = True
                self.post(self._hand_over)
        except BaseException as err:  # handed to the loop, which decides
            error = err
        self.post(lambda: self._finish(error))

    def _hand_over(self) -> None:
        with self._lock:
            batch, self._inbox = self._inbox, []
            self._handover_waiting = False
        self._deliver(batch)
