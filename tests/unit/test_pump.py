"""The thread-to-loop pump: every item in order, the end (or the reader's error) only after the last one."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

from ops.pump import Pump


async def pumped(*, fail: bool = False) -> tuple[list[int], list[object]]:
    loop = asyncio.get_running_loop()
    items: list[int] = []
    ends: list[object] = []
    done = asyncio.Event()

    def source() -> Iterator[list[int]]:
        for n in range(0, 5000, 10):
            yield list(range(n, n + 10))
        if fail:
            raise OSError('the stream broke')

    def finish(error: BaseException | None) -> None:
        ends.append((len(items), error))
        done.set()

    Pump('test-pump', source, deliver=items.extend, finish=finish).start(loop)
    await asyncio.wait_for(done.wait(), timeout=10)
    return items, ends


async def test_every_item_arrives_in_order_and_the_end_comes_last() -> None:
    items, ends = await pumped()
    assert items == list(range(5000))
    assert ends == [(5000, None)]


async def test_the_readers_error_is_handed_to_the_loop_after_what_it_read() -> None:
    items, ends = await pumped(fail=True)
    assert items == list(range(5000))
    [(count, error)] = ends
    assert count == 5000 and isinstance(error, OSError)


async def test_items_that_arrive_while_a_hand_over_waits_join_it() -> None:
    loop = asyncio.get_running_loop()
    batches: list[list[int]] = []
    finished = asyncio.Event()
    reader_done = threading.Event()

    def source() -> Iterator[list[int]]:
        for n in range(100):
            yield [n]
        reader_done.set()

    pump = Pump('test-pump', source, deliver=batches.append, finish=lambda _: finished.set())
    # The loop is busy (blocked here) while the reader hands over all 100 items: they join one hand-over.
    pump.start(loop)
    assert reader_done.wait(timeout=10)
    await asyncio.wait_for(finished.wait(), timeout=10)
    assert [n for batch in batches for n in batch] == list(range(100))
    assert len(batches) == 1


def test_a_closed_loop_does_not_break_the_reader() -> None:
    other = asyncio.new_event_loop()
    other.close()
    reader_done = threading.Event()

    def source() -> Iterator[list[int]]:
        yield [1]
        reader_done.set()

    pump: Pump[int] = Pump('test-pump', source, deliver=lambda _: None, finish=lambda _: None)
    pump.start(other)
    pump.thread.join(timeout=10)
    assert reader_done.is_set() and not pump.thread.is_alive()
