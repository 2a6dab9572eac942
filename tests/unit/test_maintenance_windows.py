"""Maintenance windows: inside or not, when the current one closes and the next opens, for weekly and daily
windows, across midnight, the end of the week and daylight saving changes (the clock and zone are given)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ops.maintenance.windows import MaintenanceWindows

BERLIN = ZoneInfo('Europe/Berlin')


def at(text: str) -> datetime:
    """'2026-12-06 03:30' in Berlin (2026-12-06 is a Sunday)."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def windows(*texts: str) -> MaintenanceWindows:
    return MaintenanceWindows(texts, zone=BERLIN, clock=lambda: at('2026-12-06 12:00'))


def test_a_weekly_window_is_open_only_on_its_day_and_hours() -> None:
    sunday = windows('Sun 03:00-05:00')
    assert sunday.configured
    opening = sunday.inside(at('2026-12-06 03:00'))
    assert opening is not None and opening.window == 'Sun 03:00-05:00'
    assert opening.closes_at == at('2026-12-06 05:00')
    assert sunday.inside(at('2026-12-06 04:59')) is not None
    assert sunday.inside(at('2026-12-06 05:00')) is None  # the end is not inside
    assert sunday.inside(at('2026-12-06 02:59')) is None
    assert sunday.inside(at('2026-12-05 03:30')) is None  # a Saturday


def test_next_opening_of_a_weekly_window_crosses_the_end_of_the_week() -> None:
    sunday = windows('Sun 03:00-05:00')
    after = sunday.next_opening(at('2026-12-06 05:00'))  # just closed: the next is a week later
    assert after is not None and after.opens_at == at('2026-12-13 03:00') and after.closes_at == at('2026-12-13 05:00')
    inside = sunday.next_opening(at('2026-12-06 04:00'))  # inside: the next is the one after this
    assert inside is not None and inside.opens_at == at('2026-12-13 03:00')
    assert windows('Mon 01:00-02:00').next_opening(at('2026-12-06 23:00')).opens_at == at('2026-12-07 01:00')  # type: ignore[union-attr]


def test_an_every_day_window_opens_each_day() -> None:
    daily = windows('03:00-05:00')
    for day in range(1, 8):
        assert daily.inside(at(f'2026-12-0{day} 04:00')) is not None
        assert daily.inside(at(f'2026-12-0{day} 12:00')) is None
    assert daily.next_opening(at('2026-12-06 12:00')).opens_at == at('2026-12-07 03:00')  # type: ignore[union-attr]
    assert daily.next_opening(at('2026-12-06 01:00')).opens_at == at('2026-12-06 03:00')  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ('text', 'moment', 'closes'),
    [
        ('23:00-01:00', '2026-12-06 23:30', '2026-12-07 01:00'),
        ('23:00-01:00', '2026-12-07 00:30', '2026-12-07 01:00'),  # opened the evening before
        ('Sun 23:00-01:00', '2026-12-07 00:59', '2026-12-07 01:00'),  # Sunday's window runs into Monday
        ('Sat 22:00-02:00', '2026-12-06 01:00', '2026-12-06 02:00'),  # Saturday's into Sunday
    ],
)
def test_a_window_may_wrap_midnight(text: str, moment: str, closes: str) -> None:
    assert windows(text).closes_at(at(moment)) == at(closes)


def test_a_wrapping_weekly_window_is_not_open_on_other_nights() -> None:
    sunday_night = windows('Sun 23:00-01:00')
    assert sunday_night.inside(at('2026-12-06 00:30')) is None  # Saturday's night, not Sunday's
    assert sunday_night.inside(at('2026-12-07 23:30')) is None  # a Monday
    assert sunday_night.next_opening(at('2026-12-07 01:00')).opens_at == at('2026-12-13 23:00')  # type: ignore[union-attr]


def test_overlapping_windows_count_as_one_until_the_last_closes() -> None:
    both = windows('Sun 03:00-05:00', '04:30-06:00')
    assert both.closes_at(at('2026-12-06 03:30')) == at('2026-12-06 06:00')
    following = both.next_opening(at('2026-12-06 03:30'))
    assert following is not None and following.opens_at == at('2026-12-07 04:30')


def test_no_windows_means_never_inside_and_nothing_next() -> None:
    none = windows()
    assert not none.configured
    assert none.inside() is None and none.next_opening() is None


def test_the_injected_clock_is_now() -> None:
    clock = {'now': at('2026-12-06 02:00')}
    sunday = MaintenanceWindows(['Sun 03:00-05:00'], zone=BERLIN, clock=lambda: clock['now'])
    assert sunday.inside() is None
    clock['now'] = at('2026-12-06 03:00')
    assert sunday.inside() is not None
    assert sunday.now() == at('2026-12-06 03:00')


def test_a_start_in_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    # 2026-03-29 (a Sunday): Berlin's clocks go from 02:00 CET straight to 03:00 CEST.
    spring = windows('Sun 02:30-04:00')
    opening = spring.next_opening(at('2026-03-29 00:00'))
    assert opening is not None
    assert opening.opens_at == datetime.fromisoformat('2026-03-29T03:00:00+02:00')
    assert opening.closes_at == datetime.fromisoformat('2026-03-29T04:00:00+02:00')


def test_a_window_over_the_repeated_hour_keeps_its_wall_clock_times() -> None:
    # 2026-10-25 (a Sunday): Berlin's clocks go from 03:00 CEST back to 02:00 CET; 01:00-04:00 lasts four hours.
    autumn = windows('Sun 01:00-04:00')
    opening = autumn.next_opening(at('2026-10-25 00:00'))
    assert opening is not None
    assert opening.opens_at == datetime.fromisoformat('2026-10-25T01:00:00+02:00')
    assert opening.closes_at == datetime.fromisoformat('2026-10-25T04:00:00+01:00')
    assert opening.closes_at.astimezone(UTC) - opening.opens_at.astimezone(UTC) == timedelta(hours=4)
