"""What a log pane sends to the browser: lines gathered into bounded batches, with every dropped line counted.

Bounds: at most BATCH_LIMIT lines per batch (batches are at least log_pane.MIN_GAP apart, so at most
BATCH_LIMIT / MIN_GAP lines per second reach the browser; the rest are counted as skipped), at most MAX_LINES
lines held while paused, and the same MAX_LINES kept for a download. Every line taken is either sent or counted
in a skip marker: shown + skipped == taken.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from components.ansi import plain, segments
from ops.docker.logstream import LogLine

MAX_LINES = 5000
BATCH_LIMIT = 500
MAX_PATTERN = 1000  # characters of a filter

Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class KeptLine:
    """A line as it was sent, for the download of what is visible."""

    timestamp: str
    prefix: str
    text: str


class LogBatches:
    """Collects lines between two ticks; flush() returns the next batch for the browser (nothing while paused)."""

    def __init__(self) -> None:
        self.paused = False
        self.taken = 0
        self.sent = 0
        self._pending: list[Item] = []
        self._pending_kept: list[KeptLine] = []
        self._dropped = 0  # lines that did not fit in the pending batch
        self._held: deque[Item] = deque()
        self._held_kept: deque[KeptLine] = deque()
        self._held_dropped = 0  # lines pushed out of the held ones while paused
        self.kept: deque[KeptLine] = deque(maxlen=MAX_LINES)

    @property
    def waiting(self) -> int:
        """Lines that arrived while paused and are not shown yet (including those that no longer fit)."""
        return self._held_dropped + len(self._held_kept) + len(self._pending_kept) + self._dropped

    def take(self, line: LogLine, prefix: str = '', colour: int = 0) -> None:
        """One line from the log hub."""
        self.taken += 1
        if len(self._pending) >= BATCH_LIMIT:
            self._dropped += 1
            return
        item: Item = {'g': segments(line.text)}
        stamp = line.timestamp or ''
        if stamp:
            item['t'] = short_time(stamp)
        if line.stream == 'stderr':
            item['e'] = 1
        if prefix:
            item['p'], item['c'] = prefix, colour
        self._pending.append(item)
        self._pending_kept.append(KeptLine(stamp, prefix, plain(line.text)))

    def skip(self, count: int) -> None:
        """`count` lines the log hub dropped before they got here."""
        if count > 0:
            self.taken += count
            self._gap(count)

    def flush(self) -> list[Item]:
        """The batch to send now: pending lines plus a marker for any gap; empty while paused."""
        batch, kept = self._pending, self._pending_kept
        self._pending, self._pending_kept = [], []
        if self._dropped:
            batch.append({'k': self._dropped})
            self._dropped = 0
        if self.paused:
            self._hold(batch, kept)
            return []
        self.kept.extend(kept)
        self.sent += len(kept)
        return batch

    def resume(self) -> list[Item]:
        """Unpause; the batch of everything held meanwhile (with a marker for what no longer fitted)."""
        self.paused = False
        batch = [{'k': self._held_dropped}] if self._held_dropped else []
        batch += list(self._held)
        self.kept.extend(self._held_kept)
        self.sent += len(self._held_kept)
        self._held.clear()
        self._held_kept.clear()
        self._held_dropped = 0
        return batch + self.flush()

    def clear(self) -> None:
        """Start over (another tail, another container)."""
        self.__init__()  # type: ignore[misc]

    def visible_text(self, pattern: str, *, regex: bool, timestamps: bool) -> str:
        """The kept lines that pass the filter, as a text file."""
        return filtered_text(list(self.kept), pattern, regex=regex, timestamps=timestamps)

    def _gap(self, count: int) -> None:
        if self._pending:
            self._dropped += count
        else:
            self._pending.append({'k': count})

    def _hold(self, batch: list[Item], kept: list[KeptLine]) -> None:
        self._held.extend(batch)
        self._held_kept.extend(kept)
        while len(self._held) > MAX_LINES:
            old = self._held.popleft()
            if 'k' in old:
                self._held_dropped += old['k']
            else:
                self._held_kept.popleft()
                self._held_dropped += 1


class FilterError(ValueError):
    """The filter cannot be used: not RE2 syntax (no look-around, no back-references) or too long."""


class Matcher(Protocol):
    def search(self, text: str) -> object | None: ...


def compile_filter(pattern: str, *, regex: bool) -> Matcher | None:
    """The filter as a case-insensitive RE2 pattern (None: no filter). RE2 never backtracks: a search takes
    time linear in the line whatever the pattern, so no filter can stall the server (`(a+)+$` included)."""
    if not pattern:
        return None
    if len(pattern) > MAX_PATTERN:
        raise FilterError(f'a filter has at most {MAX_PATTERN} characters')
    import re2  # at the first filter, not at start: RE2's library is a few MB an idle console does not need

    options = re2.Options()
    options.case_sensitive = False
    options.literal = not regex
    options.log_errors = False
    try:
        matcher: Matcher = re2.compile(pattern, options)
    except re2.error as err:
        reason = err.args[0] if err.args else err
        raise FilterError(reason.decode(errors='replace') if isinstance(reason, bytes) else str(reason)) from err
    return matcher


def filtered_text(kept: Iterable[KeptLine], pattern: str, *, regex: bool, timestamps: bool) -> str:
    """The lines that pass the filter, as a text file (pure: a worker thread may run it on a snapshot)."""
    matcher = compile_filter(pattern, regex=regex)
    lines = []
    for line in kept:
        if matcher is not None and not matcher.search(line.text):
            continue
        head = (f'{line.timestamp} ' if timestamps and line.timestamp else '') + (
            f'{line.prefix} | ' if line.prefix else ''
        )
        lines.append(head + line.text)
    return '\n'.join(lines) + ('\n' if lines else '')


def short_time(stamp: str) -> str:
    """`2026-11-25T01:46:51.123456789Z` -> `01:46:51.123` (what a person reads next to a line)."""
    _, _, clock = stamp.partition('T')
    return clock[:12] if clock else stamp[:12]
