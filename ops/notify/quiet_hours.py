"""A channel's quiet hours: whether a moment falls in them and when they end, in the console host's local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from ops.config import parse_quiet_hours


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` each day (local times of day); when `end` is earlier than `start` it is the next day's.
    `zone` is the local time zone (None: the host's, daylight saving time included)."""

    start: time
    end: time
    zone: tzinfo | None = None

    @classmethod
    def parse(cls, text: str, zone: tzinfo | None = None) -> QuietHours:
        start, end = parse_quiet_hours(text)
        return cls(start, end, zone)

    def until(self, now: datetime) -> datetime | None:
        """When the quiet hours `now` falls in end (UTC), or None when `now` is not in them."""
        local = now.astimezone(self.zone)
        of_day = local.time().replace(tzinfo=None)
        day = local.date()
        if self.start < self.end:
            if not self.start <= of_day < self.end:
                return None
        elif of_day >= self.start:
            day += timedelta(days=1)
        elif of_day >= self.end:
            return None
        # A naive local time is read in the host's zone by astimezone(), with its daylight saving time on that day.
        end = datetime.combine(day, self.end, tzinfo=self.zone).astimezone(UTC)
        return max(end, now.astimezone(UTC))
