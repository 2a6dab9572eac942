"""The console's clock: now in UTC, unix and engine times, `--since` values and ages as an operator reads them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from ops.config import parse_duration

# What a new sign-in throttle (and the limits built like it) runs on: tests wind a fake one forward.
monotonic: Callable[[], float] = time.monotonic


def utc_now() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(tz=UTC)


def utc_now_iso() -> str:
    """Now in UTC as ISO 8601 text (what journal records, world.json and checkpoints carry)."""
    return utc_now().isoformat()


def utc_from_timestamp(seconds: float) -> datetime:
    """A unix timestamp as an aware UTC datetime (millisecond precision is plenty for an operator)."""
    return datetime.fromtimestamp(round(seconds, 3), tz=UTC)


def since_timestamp(since: str, now: float | None = None) -> int:
    """A `--since` value as a unix time: digits are one already, `10m` means ten minutes before `now`."""
    if since.isdigit():
        return int(since)
    return int(time.time() if now is None else now) - parse_duration(since)


def docker_time(time_nano: int) -> str:
    """A nanosecond time as the engine's `since`/`until` take it: SECONDS.NANOSECONDS (9 digits)."""
    return f'{time_nano // 1_000_000_000}.{time_nano % 1_000_000_000:09d}'


def age_text(since: datetime, now: datetime | None = None) -> str:
    """A short age: '45 s', '12 min', '5 h', '3 d'."""
    seconds = max(0, int(((now or utc_now()) - since).total_seconds()))
    if seconds < 60:
        return f'{seconds} s'
    if seconds < 3600:
        return f'{seconds // 60} min'
    if seconds < 2 * 86400:
        return f'{seconds // 3600} h'
    return f'{seconds // 86400} d'
