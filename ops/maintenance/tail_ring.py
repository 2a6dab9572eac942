"""The newest lines of a container's log, bounded by lines and bytes, with a count of every line let go."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ops.store.storable import storable_text


@dataclass(frozen=True, kw_only=True, slots=True)
class Words:
    """Lines kept (oldest first) and how many lines read were not kept (beyond the line or byte bound)."""

    lines: tuple[str, ...]
    dropped: int = 0

    @property
    def text(self) -> str:
        return '\n'.join(self.lines)


class TailRing:
    """Keeps the newest `max_lines` lines fed to it (and about `max_bytes`: characters count while following, bytes
    when taken); a reader thread feeds it while the event loop may take it at any time."""

    def __init__(self, *, max_lines: int, max_bytes: int) -> None:
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.seen = 0
        self._lines: deque[str] = deque()
        self._chars = 0
        self._lock = threading.Lock()

    def extend(self, texts: Sequence[str]) -> None:
        """Lines read, oldest first (a batch of thousands keeps only what can stay)."""
        with self._lock:
            self.seen += len(texts)
            for text in texts[-self.max_lines :]:
                self._lines.append(text)
                self._chars += len(text) + 1
            while len(self._lines) > self.max_lines or (self._chars > self.max_bytes and len(self._lines) > 1):
                self._chars -= len(self._lines.popleft()) + 1

    def taken(self) -> tuple[list[str], int]:
        """The lines kept now and how many were seen in all."""
        with self._lock:
            return list(self._lines), self.seen


def bounded(texts: Iterable[str], *, max_lines: int, max_bytes: int, seen: int | None = None) -> Words:
    """The newest lines of `texts` whose UTF-8 text (joined by newlines) fits in `max_bytes`, at most `max_lines`;
    a newest line longer than the whole budget is cut to it. `seen`: how many lines were read in all (default: as
    many as `texts` holds); everything read and not kept counts as dropped."""
    pending = [_storable(text) for text in texts]
    total = len(pending) if seen is None else max(seen, len(pending))
    kept: list[str] = []
    budget = max_bytes
    for text in reversed(pending[-max_lines:]):
        size = len(text.encode('utf-8')) + (1 if kept else 0)
        if size > budget:
            if not kept:
                kept.append(_cut(text, budget))
            break
        kept.append(text)
        budget -= size
    kept.reverse()
    return Words(lines=tuple(kept), dropped=total - len(kept))


def _storable(text: str) -> str:
    """As the store keeps it: no NUL (SQLite text ends there for some readers), lone surrogates escaped."""
    return storable_text(text.replace('\x00', '\ufffd'))


def _cut(text: str, limit: int) -> str:
    """The first `limit` bytes of `text`, never half a character."""
    return text.encode('utf-8')[:limit].decode('utf-8', errors='ignore')
