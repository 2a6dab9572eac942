"""How stats read on the pages: numbers in few digits, sparklines on a fixed window, a month of crash loop in a
few hundred stretches with every exit kept."""

from __future__ import annotations

from components.health_timeline import BUCKETS, exits_of, marks_of, stretches_of
from components.sparkline import HEIGHT, WIDTH, polyline
from components.stat_charts import binary_step
from components.usage_text import bytes_text, cpu_text, memory_text, rate_text
from tests.helpers.stats_stand_in import Interval

MIB = 1024**2


def test_numbers_read_in_at_most_three_digits() -> None:
    assert [cpu_text(v) for v in (None, 0.04, 12.345, 180.2)] == ['—', '0.0 %', '12.3 %', '180 %']
    assert [bytes_text(v) for v in (900, 9.8 * MIB, 512 * MIB, 1.2 * 1024 * MIB)] == [
        '900 B',
        '9.8 MiB',
        '512 MiB',
        '1.2 GiB',
    ]
    assert memory_text(512 * MIB, 2048 * MIB) == '512 MiB / 2.0 GiB'
    assert memory_text(512 * MIB, None) == '512 MiB'
    assert rate_text(1500) == '1.5 KiB/s'


def test_a_sparkline_keeps_its_window_and_a_young_line_starts_at_the_right() -> None:
    # 15 minutes ending at the newest point: a container up for a minute draws only the last fifteenth.
    young = polyline([(1000.0, 1.0), (1060.0, 2.0)], window=900, floor=5)
    first, last = (point.split(',') for point in young.split())
    assert float(first[0]) == WIDTH * (1 - 60 / 900) and float(last[0]) == WIDTH
    # Idle noise under the floor stays near the bottom; points older than the window are left out.
    idle = polyline([(0.0, 0.2), (10.0, 0.4), (1000.0, 0.3)], window=900, floor=5)
    assert len(idle.split()) == 2 and all(float(p.split(',')[1]) > HEIGHT * 0.9 for p in idle.split())
    # Memory against its limit: a quarter of the limit is a quarter of the height.
    (point,) = polyline([(0.0, 256.0)], window=900, floor=0, top=1024).split()[1:]
    assert float(point.split(',')[1]) == HEIGHT * 0.75


def test_a_month_of_crash_loop_is_a_few_hundred_stretches_and_every_exit_is_marked() -> None:
    start, end = 0.0, 30 * 86_400.0
    loop = []
    for at in range(0, int(end), 21):  # up 20 s, exited 1 s with code 3, for a month
        loop += [Interval('running', at, at + 20), Interval('exited', at + 20, at + 21, 3)]
    stretches = stretches_of(loop, start, end)
    assert len(stretches) <= BUCKETS
    assert {s.look.label for s in stretches} == {'exited'}  # each slice shows the worst it had
    exits = exits_of(loop, start, end)
    assert len(exits) == sum(i.state == 'exited' and i.start <= end for i in loop)
    assert exits[0][1:] == ('3', 'exited with code 3 · restarted')
    # As pins: one per slice, saying how many.
    marks = marks_of(exits, start, end)  # a slice is 8,640 s: exits at 20 + 21 k s, k = 0..410, in the first
    assert len(marks) == BUCKETS and sum(int(words.split()[0]) for _, _, words in marks) == len(exits)
    assert marks[0][1:] == ('3', '411 exits, the last with code 3')


def test_few_intervals_are_drawn_as_they_are_cut_to_the_span() -> None:
    intervals = [
        Interval('healthy', -100.0, 50.0),
        Interval('healthy', 50.0, 60.0),
        Interval('exited', 60.0, 70.0, 0),
        Interval('unhealthy', 70.0, None),
    ]
    stretches = stretches_of(intervals, 0.0, 100.0)
    assert [(s.look.label, s.start, s.end) for s in stretches] == [
        ('healthy', 0.0, 60.0),
        ('stopped', 60.0, 70.0),  # exit code 0: someone stopped it
        ('unhealthy', 70.0, 100.0),
    ]


def test_byte_axes_step_in_powers_of_two() -> None:
    # 1.1 GiB in five steps: 256 MiB each (labels 256 MiB, 512 MiB, 768 MiB, 1.0 GiB, 1.3 GiB).
    assert binary_step(1.1 * 1024 * MIB) == 256 * MIB
    assert binary_step(117 * 1024) == 32 * 1024
    assert binary_step(3) == 1
