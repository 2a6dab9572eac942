"""Long engine HTTP streams (logs, pulls) and how another thread stops one that is blocked in a read."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from contextlib import suppress

import requests


class Cancel:
    """Set from any thread to abort a blocking engine stream (a pull): its socket is shut, the call returns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closers: list[Callable[[], None]] = []
        self.requested = False

    def attach(self, closer: Callable[[], None]) -> None:
        """Run `closer` on set(), or at once when set() already happened."""
        with self._lock:
            if not self.requested:
                self._closers.append(closer)
                return
        closer()

    def set(self) -> None:
        """Request the stop; safe to call more than once and from any thread."""
        with self._lock:
            self.requested = True
            closers, self._closers = self._closers, []
        for closer in closers:
            closer()


def shut_response(response: requests.Response) -> None:
    """Close a streamed response, waking any thread blocked reading it."""
    # close() alone does not wake a thread blocked in recv() on this socket; shutdown() does.
    with suppress(Exception):
        sock = response.raw._fp.fp.raw
        getattr(sock, '_sock', sock).shutdown(socket.SHUT_RDWR)
    with suppress(Exception):
        response.close()
