"""Which process owns a run: each process holds a lock file for its lifetime, so at start-up a run whose
owner's lock can be taken belongs to a dead process (crash, SIGKILL) and is marked interrupted.

This lets the CLI and the server share one database without the one declaring the other's runs dead.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path
from typing import IO


class OwnerLock:
    """Held (flock) from creation until the process ends; the token goes into every run it starts."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.token = f'{os.getpid()}-{secrets.token_hex(6)}'
        self._handle: IO[str] | None = (directory / f'{self.token}.lock').open('w')
        fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def is_alive(self, token: str) -> bool:
        """True when the process that wrote `token` still holds its lock."""
        if token == self.token:
            return True
        if not token or '/' in token or token.startswith('.'):
            return False
        path = self.directory / f'{token}.lock'
        if not path.exists():
            return False
        with path.open('a') as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        path.unlink(missing_ok=True)  # its owner is gone: tidy up
        return False

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            (self.directory / f'{self.token}.lock').unlink(missing_ok=True)
