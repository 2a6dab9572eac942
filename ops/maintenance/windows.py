"""Maintenance windows: whether a moment is inside one, when it closes and when the next opens (host time zone)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ops.config import parse_window

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """Now, aware, in the host's time zone (the clock the windows and schedules run on unless a test injects one)."""
    return datetime.now().astimezone()


@dataclass(frozen=True, kw_only=True, slots=True)
class Opening:
    """One occurrence of a window: the text it was configured as, when it opens and when it closes (aware)."""

    window: str
    opens_at: datetime
    closes_at: datetime

    def as_json(self) -> dict[str, str]:
        return {'window': self.window, 'opens_at': self.opens_at.isoformat(), 'closes_at': self.closes_at.isoformat()}


@dataclass(frozen=True, slots=True)
class _Window:
    text: str
    weekday: int | None
    start: time
    end: time


class MaintenanceWindows:
    """The configured windows ("Sun 03:00-05:00" on Sundays, "03:00-05:00" every day; the end may be on the next
    day). `zone` is the local time zone (None: the host's, daylight saving time included); `clock` says what now is.

    Around a daylight-saving change a window keeps its wall-clock times: a start in the skipped hour opens when the
    clock jumps past it, a start or end in the repeated hour is taken at its first occurrence.
    """

    def __init__(self, windows: Sequence[str], *, clock: Clock = local_now, zone: tzinfo | None = None) -> None:
        self.texts = tuple(windows)
        self.clock = clock
        self.zone = zone
        self._windows = [_Window(text.strip(), *parse_window(text)) for text in windows]

    @property
    def configured(self) -> bool:
        """Whether any window is configured (without one, auto-approve policies act at any time, as before)."""
        return bool(self._windows)

    def now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def inside(self, now: datetime | None = None) -> Opening | None:
        """The window open at `now` (overlapping or touching windows count as one, closing when the last closes)."""
        moment = (self.now() if now is None else now).astimezone(UTC)
        spans = sorted(self._occurrences(moment), key=lambda o: o.opens_at)
        current = next((o for o in spans if o.opens_at <= moment < o.closes_at), None)
        if current is None:
            return None
        for other in spans:
            if other.opens_at <= current.closes_at < other.closes_at:
                current = replace(current, closes_at=other.closes_at)
        return self._local(current)

    def closes_at(self, now: datetime | None = None) -> datetime | None:
        """When the window open at `now` closes; None outside every window."""
        opening = self.inside(now)
        return opening.closes_at if opening else None

    def next_opening(self, now: datetime | None = None) -> Opening | None:
        """The next window to open after `now` (after the current one, when `now` is inside one); None without
        windows."""
        moment = (self.now() if now is None else now).astimezone(UTC)
        current = self.inside(moment)
        after = current.closes_at.astimezone(UTC) if current else moment
        upcoming = [o for o in self._occurrences(moment) if o.opens_at > after]
        if not upcoming:
            return None
        first = min(upcoming, key=lambda o: o.opens_at)
        return self.inside(first.opens_at) or self._local(first)

    def _local(self, opening: Opening) -> Opening:
        return replace(
            opening, opens_at=opening.opens_at.astimezone(self.zone), closes_at=opening.closes_at.astimezone(self.zone)
        )

    def _occurrences(self, moment: datetime) -> Iterator[Opening]:
        """Every occurrence (in UTC) that opens from the day before `moment` to eight days after it."""
        today = moment.astimezone(self.zone).date()
        for offset in range(-1, 9):
            day = today + timedelta(days=offset)
            for window in self._windows:
                if window.weekday is not None and window.weekday != day.weekday():
                    continue
                opens = local_instant(day, window.start, self.zone)
                closes = local_instant(
                    day + timedelta(days=1) if window.end <= window.start else day, window.end, self.zone
                )
                if closes > opens:  # a window wholly inside a skipped hour does not happen that day
                    yield Opening(window=window.text, opens_at=opens, closes_at=closes)


def local_instant(day: date, at: time, zone: tzinfo | None) -> datetime:
    """The moment (UTC) the wall clock of `zone` (None: the host's) first shows `at` on `day`, or jumps past it when
    `at` falls in the hour a daylight saving change skips."""
    naive = datetime.combine(day, at)
    first = _aware(naive, 0, zone)
    if _wall(first, zone) == naive:
        return first
    # In the skipped hour: fold=0 and fold=1 bracket the jump; find it to the second.
    low, high = sorted((_aware(naive, 1, zone), first))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall(middle, zone) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _aware(naive: datetime, fold: int, zone: tzinfo | None) -> datetime:
    # A naive time is read in the host's zone by astimezone(), with its daylight saving time on that day.
    local = naive.replace(fold=fold) if zone is None else naive.replace(fold=fold, tzinfo=zone)
    return local.astimezone(UTC)


def _wall(moment: datetime, zone: tzinfo | None) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)
