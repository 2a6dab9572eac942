"""How a log pane batches and bounds lines (no browser, no engine): every line is shown or counted."""

from __future__ import annotations

from components.ansi import plain, segments
from components.log_batches import BATCH_LIMIT, MAX_LINES, LogBatches
from components.log_view import packed
from ops.docker.logstream import LogLine


def line(n: int) -> LogLine:
    return LogLine(stream='stdout', text=f'\x1b[32mOK\x1b[0m line {n} <script>alert(1)</script>', timestamp=None)


def totals(batches: list[list[dict[str, object]]]) -> tuple[int, int]:
    items = [item for batch in batches for item in batch]
    return sum(1 for i in items if 'g' in i), sum(int(i['k']) for i in items if 'k' in i)  # type: ignore[call-overload]


def test_a_burst_is_cut_into_bounded_batches_and_the_rest_is_counted() -> None:
    batches = LogBatches()
    sent = []
    for n in range(3 * BATCH_LIMIT):
        batches.take(line(n))
    sent.append(batches.flush())
    batches.skip(7)  # lines the hub dropped for this viewer
    for n in range(10):
        batches.take(line(n))
    sent.append(batches.flush())
    shown, skipped = totals(sent)
    assert len(sent[0]) == BATCH_LIMIT + 1 and sent[0][-1] == {'k': 2 * BATCH_LIMIT}
    assert shown + skipped == batches.taken == 3 * BATCH_LIMIT + 7 + 10
    assert batches.sent == shown


def test_paused_lines_are_held_counted_and_shown_on_resume() -> None:
    batches = LogBatches()
    batches.paused = True
    held = []
    for round_ in range(MAX_LINES // 500 + 3):
        for n in range(500):
            batches.take(line(round_ * 500 + n))
        held.append(batches.flush())
    assert all(batch == [] for batch in held)  # nothing goes to the browser while paused
    assert batches.waiting == (MAX_LINES // 500 + 3) * 500
    shown, skipped = totals([batches.resume()])
    assert shown == MAX_LINES and shown + skipped == batches.taken
    assert not batches.paused and batches.waiting == 0


def test_ansi_colours_become_classes_and_markup_stays_text() -> None:
    assert segments('\x1b[1;31mERROR\x1b[0m <b>x</b>') == [('ERROR', 'ansi-fg1 ansi-b'), (' <b>x</b>', '')]
    assert plain('\x1b[32mOK\x1b[0m\x07 \x1b]0;title\x07done') == 'OK done'


def test_download_holds_what_passes_the_filter() -> None:
    batches = LogBatches()
    for n in range(5):
        batches.take(line(n))
    batches.flush()
    text = batches.visible_text('line [13]', regex=True, timestamps=False)
    assert text == 'OK line 1 <script>alert(1)</script>\nOK line 3 <script>alert(1)</script>\n'


def test_plain_lines_travel_as_bare_text_with_time_steps_and_the_rest_in_full() -> None:
    batches = LogBatches()
    batches.take(LogLine(stream='stdout', text='<b>one</b>', timestamp='2026-11-25T23:59:59.998000001Z'))
    batches.take(LogLine(stream='stdout', text='two', timestamp='2026-11-25T23:59:59.999Z'))
    batches.take(LogLine(stream='stdout', text='\x1b[31mred\x1b[0m', timestamp='2026-11-25T23:59:59.999Z'))
    batches.take(LogLine(stream='stderr', text='err', timestamp='2026-11-25T23:59:59.999Z'))
    batches.take(LogLine(stream='stdout', text='whole second', timestamp='2026-11-26T00:00:00Z'))
    batches.take(LogLine(stream='stdout', text='no time', timestamp=None))
    batches.skip(3)
    wire = packed(batches.flush())
    assert wire['l'][:2] == ['<b>one</b>', 'two'] and wire['l'][5] == 'no time'
    assert wire['t'] == [86399998, 1, None]  # ms since midnight, then steps; null: no time
    assert wire['l'][2] == {'g': [('red', 'ansi-fg1')], 't': '23:59:59.999'}
    assert wire['l'][3] == {'g': [('err', '')], 't': '23:59:59.999', 'e': 1}
    assert wire['l'][4] == {'g': [('whole second', '')], 't': '00:00:00Z'}  # shown as the server writes it
    assert wire['l'][6] == {'k': 3}
